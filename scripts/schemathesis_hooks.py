"""schemathesis hooks for scripts/schemathesis.sh: signs the upload URLs it generates.

A signature is an HMAC (or MD5) of the URL exactly as it goes on the wire, which no schema can
describe, so without this every PUT would stop at `403` and the upload protocol (201 and 202
bodies, Content-Range) would go untested. Every PUT of a storage path is signed once its URL is
final (any generated `signature` or `s` replaced), with the test source's key, or its MD5 token
where the case chose `s`; the signature counts as the run's own credentials, so `ignored_auth`
resends the request unsigned and with a wrong signature and expects both refused. GETs go as
generated: the test source is public outside `private/`. The scheme is docs/signing.md's.
"""

import base64
import hashlib
import hmac
import os
from urllib.parse import urlsplit, urlunsplit

import requests
import schemathesis

HMAC_KEY = os.environ["PIXGATE_HMAC_KEY"].encode()
MD5_TOKEN = os.environ["PIXGATE_MD5_TOKEN"]


def signed(url):
    """`url` signed: any `signature` or `s` parameter replaced by a valid one, last."""
    parts = urlsplit(url)
    pairs = [p for p in parts.query.split("&") if p] if parts.query else []
    names = [p.split("=", 1)[0] for p in pairs]
    kept = "&".join(p for p, n in zip(pairs, names) if n not in ("signature", "s"))
    if "s" not in names:
        message = parts.path[1:] + "?" + kept
        digest = hmac.new(HMAC_KEY, message.encode(), hashlib.sha256).digest()
        value = "signature=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        message = MD5_TOKEN + parts.path + ("?" + kept if kept else "")
        value = "s=" + hashlib.md5(message.encode()).hexdigest()
    query = kept + "&" + value if kept else value
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class SignUrl(requests.auth.AuthBase):
    """Runs on the prepared request, after the URL has been encoded for the wire."""

    def __call__(self, request):
        request.url = signed(request.url)
        return request


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path == "/{path}" and case.method.upper() == "PUT":
        kwargs["auth"] = SignUrl()
        # Credentials the run supplies, not generated ones (ignored_auth tells them apart).
        object.__setattr__(case, "_has_explicit_auth", True)
