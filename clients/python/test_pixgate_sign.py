"""Tests pixgate_sign.py: every vector of clients/vectors.json, the options it refuses, and,
given a pixgate base URL (clients/test.sh starts one), URLs it signs fetched from the live
server. ``python3 clients/python/test_pixgate_sign.py [BASE_URL]``; exits 1 on failure."""

import json
import re
import struct
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from pixgate_sign import sign_query, sign_url

HERE = Path(__file__).resolve().parent
VECTORS = json.loads((HERE.parent / "vectors.json").read_text(encoding="utf-8"))["vectors"]
failures = 0


def check(what, ok, detail=""):
    global failures
    if not ok:
        failures += 1
        print(f"FAIL python: {what} {detail}", file=sys.stderr)


def refuses(what, **options):
    try:
        sign_url(**options)
        check(f"refuses {what}", False, "(no error)")
    except ValueError:
        pass


def build(vector):
    """The URL a vector describes, built by this module."""
    if "raw" in vector:
        raw = vector["raw"]
        query = sign_query(raw["scheme"], raw["secret"], raw["path"], raw["query"])
        return f"{raw['base']}{raw['path']}?{query}"
    given = vector["input"]
    return sign_url(given["path"], [tuple(pair) for pair in given["params"]],
                    scheme=given["scheme"], secret=given["secret"], base=given["base"],
                    prefix=given["prefix"], expires_at=given["expires_at"],
                    method=given["method"])


def offline():
    for vector in VECTORS:
        url = build(vector)
        check(f"vector {vector['name']!r}", url == vector["url"],
              f"\n  got  {url}\n  want {vector['url']}")
    as_dict = sign_url("a.png", {"w": 1, "h": 2}, scheme="md5", secret="k")
    as_pairs = sign_url("a.png", [("w", 1), ("h", 2)], scheme="md5", secret="k")
    check("a dict's insertion order is kept",
          as_dict == as_pairs and as_dict.startswith("/a.png?w=1&h=2&s="), as_dict)
    now = int(time.time())
    ttl = sign_url("a", scheme="hmac", secret="k", expires_in=60)
    expiry = int(re.search(r"expiry=(\d+)", ttl).group(1))
    check("expires_in counts from now", now + 60 <= expiry <= now + 61, str(expiry))
    signing = {"path": "a.png", "scheme": "md5", "secret": "k"}
    refuses("a signing parameter in params", params={"expires": 1}, **signing)
    refuses("both expiries", expires_at=1, expires_in=1, **signing)
    refuses("a fractional expiry", expires_at=1.5, **signing)
    refuses("a base with a path", base="https://img.example.com/shop", **signing)
    refuses("a method other than get or put", method="post", **signing)
    refuses("a prefix without a leading slash", prefix="shop", **signing)
    refuses("an unknown scheme", **{**signing, "scheme": "sha1"})


def fetch(url, method="GET", body=None):
    """(status, headers, body bytes); the error code as well for a JSON error."""
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def error_of(url, method="GET", body=None):
    status, _, data = fetch(url, method, body)
    try:
        code = json.loads(data)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = None
    return f"{status} {code}"


def live(base):
    now = int(time.time())
    pixel = (HERE.parent.parent / "fixtures" / "pixel-1x1.png").read_bytes()
    # Every vector: served, refused as expired (after its signature was checked), or uploaded.
    for vector in VECTORS:
        url = base + vector["url"][vector["url"].index("/", len("https://")):]
        given = vector.get("input", {})
        put = given.get("method") == "put"
        expired = (given.get("expires_at") or float("inf")) < now
        want = "201" if put else "403 expired" if expired else "200"
        status, _, _ = fetch(url, "PUT", pixel) if put else fetch(url)
        got = str(status) if status < 400 else error_of(url)
        check(f"live vector {vector['name']!r}", got == want, f"{got}, want {want}: {url}")

    demo = {"base": base, "scheme": "md5", "secret": "FOO123bar"}
    transform = sign_url("users/1.png", {"w": 100, "fm": "png"}, **demo)
    status, _, image = fetch(transform)
    width = struct.unpack(">I", image[16:20])[0] if status == 200 else None
    check("a transform signed with s", status == 200 and width == 100, f"{status} {transform}")

    shop = sign_url("albums/cat été+1.png", [("w", 50)], scheme="hmac", secret="shop-key",
                    base=base, prefix="/shop", expires_in=300, method="get")
    status, headers, _ = fetch(shop)
    max_age = re.search(r"max-age=(\d+)", headers.get("cache-control", ""))
    check("signature and expiry on a prefixed source",
          status == 200 and max_age and int(max_age.group(1)) <= 300, f"{status} {shop}")

    expired = sign_url("users/1.png", expires_at=now - 60, **demo)
    check("an expired URL", error_of(expired) == "403 expired", expired)
    tampered = transform.replace("w=100", "w=101")
    check("a tampered URL", error_of(tampered) == "403 signature_invalid", tampered)
    unsigned = re.sub(r"&s=.*$", "", transform)
    check("an unsigned URL", error_of(unsigned) == "403 signature_required", unsigned)

    _, _, original = fetch(sign_url("users/1.png", **demo))
    hmac = {"scheme": "hmac", "secret": "demo-key", "base": base, "expires_in": 300}
    key = f"uploads/py-{time.time_ns()}.png"
    check("a GET URL cannot upload",
          error_of(sign_url(key, **hmac), "PUT", bytes(16)) == "403 method_mismatch")
    status, _, data = fetch(sign_url(key, method="put", **hmac), "PUT", original)
    file = json.loads(data)["data"] if status == 201 else {}
    check("an upload signed with method=put", file.get("filesize") == len(original),
          f"{status} {file}")
    _, _, stored = fetch(sign_url(key, **hmac))
    check("the upload is served to a signed GET", stored == original)


def main():
    base = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else None
    offline()
    if base:
        live(base)
    where = f", live against {base}" if base else ""
    print(f"python: {failures} failed" if failures else f"python: ok ({len(VECTORS)} vectors{where})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
