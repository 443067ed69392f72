#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (fuzz/seeds/<target>/). Run once by hand; the
output is committed, so fuzzing needs neither Python nor a server.

Text seeds are computed here (signatures with hashlib/hmac, the same secrets as
fuzz/src/lib.rs). Image seeds for `render` are small derivatives of fixtures/ fetched from a
running `pixgate serve` whose source root is fixtures/ (URL in argv[1], default
http://127.0.0.1:18471), plus a few tiny originals and hand-made BMP/TIFF files; some JPEG/PNG
seeds get the EXIF or ICC segment of a fixture spliced in so those parsers are reached.

Each seed file starts with whatever selector byte(s) its target reads first (see lib.rs).
"""
import base64
import hashlib
import hmac
import os
import struct
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "fixtures")
NOW = 1_700_000_000
MD5_TOKEN = "FOO123bar"
HMAC_KEY = "demo-key"


def write(target, name, data):
    folder = os.path.join(HERE, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def md5_url(path, query):
    signed = MD5_TOKEN + path + ("?" + query if query else "")
    s = hashlib.md5(signed.encode()).hexdigest()
    return f"{path}?{query}&s={s}" if query else f"{path}?s={s}"


def hmac_url(path, query):
    msg = path[1:] if path.startswith("/") else path
    if query:
        msg += "?" + query
    mac = hmac.new(HMAC_KEY.encode(), msg.encode(), hashlib.sha256).digest()
    sig = base64.urlsafe_b64encode(mac).decode().rstrip("=")
    return f"{path}?{query}&signature={sig}" if query else f"{path}?signature={sig}"


QUERIES = [
    "",
    "w=300&fm=webp",
    "w=0.5&h=200&dpr=2.5&fit=crop&crop=top,left",
    "crop=focalpoint&fp-x=0.3&fp-y=1&fit=min&w=10&h=20",
    "ar=16:9&w=400&fit=crop",
    "rect=10,20,300,200&rot=90&flip=hv",
    "fm=auto&auto=format,compress&q=45",
    "bg=%23ff0000&fit=fill&w=100&h=100&lossless=1",
    "blur=20&sharp=50&quality=80&format=pjpg",
    "width=1.5&height=0.25&mode=cover&gravity=bottom",
    "dl=cat%20%C3%A9t%C3%A9.jpg&ixlib=php-1.2&s=abc&expires=1",
    "w=1&width=2",
    "w=%ZZ&h=+1",
    "bg=ABCD&rot=270&flip=v&fit=scale&h=5000",
    "q=75&auto=compress",
    "w=0.99999994&dpr=4.9999999999&ar=0.00000000000001:9999.99999999999",
]


def text_seeds():
    for i, q in enumerate(QUERIES):
        write("query", f"q{i:02}", q)
    sizes = [(800, 500), (1, 1), (320, 200), (5000, 3), (4294967295, 2)]
    for i, q in enumerate(QUERIES):
        w, h = sizes[i % len(sizes)]
        write("geometry", f"g{i:02}", struct.pack("<II", w, h) + q.encode())
    for target, sign in (("signature_md5", md5_url), ("signature_hmac", hmac_url)):
        urls = [
            (0x01, sign("/users/1.png", "w=400&h=300")),
            (0x03, sign("/a.png", f"w=1&expires={NOW + 100}")),
            (0x05, sign("/a.png", f"method=put&expiry={NOW + 100}")),
            (0x11, sign("/shop/private/cat%20%C3%A9t%C3%A9.jpg", f"expires={NOW - 10}")),
            (0x01, sign("/p/q%20r&s=t.gif", "")),
            (0x00, "/a.png?expires=1&expiry=2&method=head"),
            (0x01, "/a.png?%73=X&w=1"),
            (0x00, "/a.png?w=1&&expires&%65xpiry=18446744073709551615"),
        ]
        for i, (flags, url) in enumerate(urls):
            write(target, f"verify{i:02}", bytes([flags]) + url.encode())
        edits = [
            bytes([0x80]),
            bytes([0xA5, 0, 5, 0x41]),
            bytes([0xFF, 1, 0x30, 0x26, 2, 0x10, 0]),
            bytes([0xC9, 1, 0xFF, 0x25, 0, 0x02, 0x32]),
        ]
        # Edits the verifier must still accept, as they leave the signed bytes alone: an
        # upper-case hex digit in `s`; `=` padding after `signature` (URL `/a.png?…`, shape 0x80).
        url = sign("/a.png", "")
        if target == "signature_md5":
            at = next(i for i, c in enumerate(url) if i > 9 and c in "abcdef")
            edits.append(bytes([0x80, 0, at, ord(url[at].upper())]))
        else:
            edits.append(bytes([0x80, 1, len(url), ord("=")]))
        for i, data in enumerate(edits):
            write(target, f"edit{i:02}", data)
    keys = [
        "photos/cat.jpg", "/photos/cat.jpg", "cat%20%C3%A9t%C3%A9.jpg", "a/b%2Bc.png",
        "..a/b..", "%2e%2e/etc/passwd", "a%2f..%2fetc", ".pixgate/files.redb", "a\\b",
        "%252e%252e/etc", "private/x/a.png", "a%00.png", "a/.PixGate-tmp/x", "100%/x",
    ]
    for i, k in enumerate(keys):
        write("storage_key", f"k{i:02}", k)
    ranges = [
        "bytes 0-99/300\nbytes=100-299/300",
        "bytes */300",
        " Bytes   200-299/300 \nbytes 0-199/300",
        "bytes 0-9999999999999999998/9999999999999999999",
        "bytes=5-5/6\nbytes 0-3/6\nbytes 4-4/6",
        "bytes 0-5,7-9/10",
    ]
    for i, r in enumerate(ranges):
        write("content_range", f"r{i:02}", r)


def jpeg_segment(path, marker, starts):
    """The first APPn segment (marker byte) of a JPEG whose payload starts with `starts`."""
    data = open(path, "rb").read()
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        kind = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        segment = data[i : i + 2 + length]
        if kind == marker and segment[4:].startswith(starts):
            return segment
        i += 2 + length
    raise ValueError(f"{path}: no segment {marker:#x} {starts!r}")


def png_chunk(path, kind):
    data = open(path, "rb").read()
    i = 8
    while i < len(data):
        length = struct.unpack(">I", data[i : i + 4])[0]
        if data[i + 4 : i + 8] == kind:
            return data[i : i + 12 + length]
        i += 12 + length
    raise ValueError(f"{path}: no {kind!r} chunk")


def tiny_bmp():
    w, h = 3, 2
    row = bytes([0, 0, 255, 0, 255, 0, 255, 0, 0]) + b"\0" * 3
    pixels = row * h
    header = struct.pack("<2sIHHI", b"BM", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


def tiny_tiff():
    w, h = 2, 2
    pixels = bytes(range(0, 240, 20))
    entries = [
        (256, 3, 1, w), (257, 3, 1, h), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 2),
        (273, 4, 1, 8), (277, 3, 1, 3), (278, 3, 1, h), (279, 4, 1, len(pixels)),
    ]
    # Bits per sample is one value per sample: 8,8,8 does not fit in the entry, so the
    # single value 8 is used (decoders read it for every sample).
    ifd_at = 8 + len(pixels)
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack("<HI", value, 0)[:4] if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    ifd += struct.pack("<I", 0)
    return b"II*\0" + struct.pack("<I", ifd_at) + pixels + ifd


def image_seeds(server):
    def fetch(key, query):
        with urllib.request.urlopen(f"{server}/{key}?{query}") as r:
            return r.read()

    fx = lambda p: os.path.join(FIXTURES, p)
    seeds = {
        "forest.jpg": (0, fetch("inputs/forest-orient1.jpg", "w=40")),
        "grey.jpg": (1, fetch("inputs/grey.jpg", "w=32")),
        "progressive.jpg": (5, fetch("inputs/forest-progressive.jpg", "w=40&fm=pjpg")),
        "alpha.png": (2, fetch("inputs/cups-alpha.png", "w=40")),
        "grey-alpha.png": (3, fetch("inputs/grey-alpha.png", "w=24")),
        "lossy.webp": (4, fetch("inputs/forest-lossy.webp", "w=40")),
        "alpha.webp": (6, fetch("inputs/cups-alpha.webp", "w=40")),
        "lossless.webp": (7, fetch("inputs/kite-lossless.webp", "w=40&lossless=1")),
        "animated.gif": (4, fetch("kite-animated-480x300.gif", "w=32")),
        "still.gif": (1, fetch("inputs/forest-still.gif", "w=32")),
        "small.avif": (0, fetch("inputs/cups-rgb.png", "w=24&fm=avif")),
        "animated.avif": (2, open(fx("inputs/cups-animated.avif"), "rb").read()),
        "pixel.png": (3, open(fx("pixel-1x1.png"), "rb").read()),
        "tiny.bmp": (5, tiny_bmp()),
        "tiny.tiff": (6, tiny_tiff()),
        "notes.txt": (0, open(fx("files/notes.txt"), "rb").read()),
        "cmyk.jpg": (7, open(fx("inputs/cups-cmyk.jpg"), "rb").read()),
    }
    small = seeds["forest.jpg"][1]
    exif = jpeg_segment(fx("inputs/forest-orient6.jpg"), 0xE1, b"Exif")
    seeds["orient6.jpg"] = (2, small[:2] + exif + small[2:])
    icc = jpeg_segment(fx("inputs/forest-p3.jpg"), 0xE2, b"ICC_PROFILE")
    seeds["p3.jpg"] = (3, small[:2] + icc + small[2:])
    png = fetch("inputs/cups-rgb.png", "w=32")
    iccp = png_chunk(fx("inputs/cups-p3.png"), b"iCCP")
    seeds["p3.png"] = (1, png[:33] + iccp + png[33:])
    for name, (pick, data) in seeds.items():
        write("render", name, bytes([pick]) + data)


if __name__ == "__main__":
    text_seeds()
    image_seeds(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18471")
