"""Builds pixgate's signed URLs (``s``, MD5; ``signature``, HMAC-SHA256) exactly as pixgate
verifies them (docs/signing.md). Standard library only, Python 3.8 or later.

>>> sign_url("users/1.png", [("w", 400), ("h", 300)], scheme="md5", secret="FOO123bar")
'/users/1.png?w=400&h=300&s=c7b86f666a832434dd38577e38cf86d1'
"""

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from typing import Iterable, Optional, Tuple, Union
from urllib.parse import urlsplit

__all__ = ["sign_url", "sign_query", "raw_path"]

Params = Union[Mapping[str, object], Iterable[Tuple[str, object]]]

_CONTROL_NAMES = {"s", "signature", "expires", "expiry", "method"}
_PREFIX = re.compile(r"(/[A-Za-z0-9\-._~!$&'()*+,;=:@]+)+")
# RFC 3986 path characters other than these stay unescaped in a segment.
_SEGMENT_ESCAPED = set(b'"#%/<>?[\\]^`{|}')
_FORM_KEPT = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")


def sign_url(
    path: str,
    params: Params = (),
    *,
    scheme: str,
    secret: str,
    base: str = "",
    prefix: str = "",
    expires_at: Optional[int] = None,
    expires_in: Optional[int] = None,
    method: Optional[str] = None,
) -> str:
    """The full signed URL: ``base``, the source ``prefix``, ``path`` with each segment
    percent-encoded once, then ``params`` in the order given, the expiry (``expires`` for md5,
    ``expiry`` for hmac), ``method``, and the signing parameter last. The same bytes
    ``pixgate sign`` prints for the same inputs. ``base`` is an origin, or empty for a path
    and query only; ``expires_at`` is unix seconds, ``expires_in`` seconds from now."""
    pairs = _param_pairs(params)
    expiry = _expiry(expires_at, expires_in)
    if expiry is not None:
        pairs.append(("expiry" if scheme == "hmac" else "expires", str(expiry)))
    if method is not None:
        pairs.append(("method", _method_name(method)))
    path_on_wire = raw_path(prefix, path)
    query = "&".join(f"{_form_encode(name)}={_form_encode(value)}" for name, value in pairs)
    return f"{_origin(base)}{path_on_wire}?{sign_query(scheme, secret, path_on_wire, query)}"


def sign_query(scheme: str, secret: str, raw_path: str, raw_query: str) -> str:
    """``raw_query`` with ``s=<hex>`` or ``signature=<base64url>`` appended. ``raw_path`` and
    ``raw_query`` are the exact bytes that will be sent (percent-encoded, path starting with
    ``/`` and including any source prefix, query without ``?``); nothing is re-encoded."""
    tail = f"?{raw_query}" if raw_query else ""
    if scheme == "md5":
        pair = "s=" + hashlib.md5((secret + raw_path + tail).encode()).hexdigest()
    elif scheme == "hmac":
        message = (raw_path[1:] if raw_path.startswith("/") else raw_path) + tail
        mac = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
        pair = "signature=" + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    else:
        raise ValueError(f'scheme must be "md5" or "hmac", not {scheme!r}')
    return f"{raw_query}&{pair}" if raw_query else pair


def raw_path(prefix: str, key: str) -> str:
    """The path as pixgate's signer writes it: the normalised source prefix (``/shop``; ``""``
    for none), then the storage key's segments, each percent-encoded once."""
    trimmed = key.lstrip("/")
    if not trimmed:
        raise ValueError("path must name a file")
    segments = (_percent_encode(s, lambda b: 0x20 < b < 0x7F and b not in _SEGMENT_ESCAPED)
                for s in trimmed.split("/"))
    return _normalise_prefix(prefix) + "/" + "/".join(segments)


def _param_pairs(params: Params):
    items = params.items() if isinstance(params, Mapping) else params
    pairs = []
    for name, value in items:
        if name in _CONTROL_NAMES:
            raise ValueError(f'"{name}" is set by the signer: use expires_at/expires_in/method')
        if value is None:
            raise ValueError(f'parameter "{name}" has no value')
        pairs.append((str(name), str(value)))
    return pairs


def _expiry(expires_at: Optional[int], expires_in: Optional[int]) -> Optional[int]:
    if expires_at is not None and expires_in is not None:
        raise ValueError("give expires_at or expires_in, not both")
    at = int(time.time()) + expires_in if expires_in is not None else expires_at
    if at is not None and (isinstance(at, bool) or not isinstance(at, int) or at < 0):
        raise ValueError("expires_at/expires_in must be whole seconds")
    return at


def _method_name(method: str) -> str:
    name = method.lower()
    if name not in ("get", "put"):
        raise ValueError(f'method must be "get" or "put", not {method!r}')
    return name


# The base is an origin only: a path there would be sent but not signed.
def _origin(base: str) -> str:
    if not base:
        return ""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/") \
            or parts.query or parts.fragment or base.endswith(("?", "#")):
        raise ValueError(f"base must be an http(s) origin such as https://img.example.com, not {base}")
    return base.rstrip("/")


# As pixgate's config reads `prefix`: "" or "/" is none, one trailing slash is dropped, and
# only characters that never need encoding are allowed, so the prefix is sent as written.
def _normalise_prefix(prefix: str) -> str:
    trimmed = prefix[:-1] if prefix.endswith("/") else prefix
    if trimmed and not _PREFIX.fullmatch(trimmed):
        raise ValueError(f'prefix must be "" or like "/shop", not {prefix!r}')
    return trimmed


# application/x-www-form-urlencoded as Rust's serde_urlencoded writes it: only alphanumerics
# and *-._ stay, a space is "+".
def _form_encode(text: str) -> str:
    return _percent_encode(text, lambda b: b in _FORM_KEPT, space="+")


def _percent_encode(text: str, keep, space: str = "%20") -> str:
    out = []
    for byte in text.encode():
        if byte == 0x20:
            out.append(space)
        else:
            out.append(chr(byte) if keep(byte) else f"%{byte:02X}")
    return "".join(out)
