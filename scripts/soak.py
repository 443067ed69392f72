#!/usr/bin/env python3
"""Soak test (issue 9): a bounded run against a real pixgate on loopback that mixes valid,
invalid and hostile requests at the configured concurrency limit, and reports per kind what
came back, the error rate of the valid requests (must be zero apart from 503s by design) and
peak RSS against the memory formula of docs/operations.md → Memory.

Standard library only. Usage (from the repo; see scripts/README.md):

    scripts/soak.py --bin target/release/pixgate --duration 120 --clients 48

Exit status 1 when a valid request failed, anything answered 5xx other than the 503s of a full
render queue, or the server stopped answering.
"""

import argparse
import asyncio
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from collections import Counter, defaultdict

MIB = 1024 * 1024
FIXTURES = ["cups-800x500.jpg", "cups-alpha-640x400.png", "forest-640x400.webp",
            "forest-800x500.jpg", "forest-orient6.jpg"]
HIT_VARIANTS = ["w=160&fm=webp", "w=320&fm=jpg", "w=420&fm=jpg&q=85", "w=640&fm=webp"]
SECRET_HMAC = "soak-hmac-key"
SECRET_MD5 = "soak-md5-token"
CONFIG = """
[server]
listen = "127.0.0.1:{port}"
header_timeout = "2s"
body_timeout = "5s"

[cache]
max_bytes = "{cache_mib}MiB"
originals_max_bytes = "{originals_mib}MiB"
mezzanine_max_bytes = "{mezzanine_mib}MiB"

[limits]
max_source_pixels = 40_000_000
max_source_bytes = "20MiB"
render_workers = {workers}
render_queue = {queue}
render_timeout = "10s"
source_timeout = "5s"

[uploads]
max_bytes = "8MiB"

[log]
format = "text"

[[sources]]
name = "soak"
root = "root"
private_prefixes = ["private/"]
md5_tokens = ["{md5}"]
hmac_keys = ["{hmac}"]
"""


def png_bomb(width, height):
    """A valid PNG header claiming width x height, with one tiny compressed row."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def gif_bomb():
    """A GIF whose logical screen and one frame claim 65535 x 65535."""
    return (b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\x00\x00\x00"
            + b"\x2c" + struct.pack("<HHHH", 0, 0, 65535, 65535) + b"\x00"
            + b"\x02\x02\x44\x01\x00\x3b")


def sign(binary, config, path, params, method=None, scheme="hmac"):
    args = [binary, "sign", "--config", config, "--scheme", scheme, "--expires-in", "1h",
            "--base", "", path, *params]
    if method:
        args += ["--method", method]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()


class Stats:
    def __init__(self):
        self.statuses = defaultdict(Counter)
        self.failures = defaultdict(Counter)
        self.latency = defaultdict(list)

    def record(self, kind, status, seconds, ok):
        self.statuses[kind][status] += 1
        self.latency[kind].append(seconds)
        if not ok:
            self.failures[kind][status] += 1


async def exchange(port, raw, read_limit=None, timeout=15.0):
    """Sends `raw`, returns (status or a failure word, body bytes read)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    try:
        writer.write(raw)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        want = length if read_limit is None else min(length, read_limit)
        body = await asyncio.wait_for(reader.readexactly(want), timeout) if want else b""
        return status, body
    except asyncio.TimeoutError:
        return "timeout", b""
    except (ConnectionError, asyncio.IncompleteReadError) as e:
        return type(e).__name__, b""
    finally:
        writer.close()


def get(target, extra=b""):
    return b"GET " + target.encode() + b" HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n" + extra + b"\r\n"


class Soak:
    def __init__(self, port, urls, stats, header_timeout, only=()):
        self.port, self.urls, self.stats = port, urls, stats
        self.header_timeout = header_timeout
        self.kinds = [  # (weight, name, coroutine)
            (30, "valid: cached hit", self.hit),
            (12, "valid: render", self.render),
            (3, "valid: sizes of a large original", self.sizes),
            (5, "valid: passthrough", self.passthrough),
            (5, "valid: signed private", self.private),
            (4, "valid: upload", self.upload),
            (10, "invalid: bad parameter or path", self.invalid),
            (5, "invalid: bad signature", self.bad_signature),
            (5, "hostile: decompression bomb", self.bomb),
            (4, "hostile: corrupt or fake image", self.corrupt),
            (4, "hostile: oversized head", self.oversized),
            (4, "hostile: slow head (slowloris)", self.slow_head),
            (4, "hostile: lying upload", self.lying_upload),
            (4, "hostile: disconnect mid-response", self.disconnect),
        ]
        if only:
            self.kinds = [k for k in self.kinds if any(o in k[1] for o in only)]
        self.weights = [k[0] for k in self.kinds]

    async def timed(self, kind, raw, ok, **kw):
        start = time.monotonic()
        status, body = await exchange(self.port, raw, **kw)
        self.stats.record(kind, status, time.monotonic() - start, ok(status))
        return status, body

    async def hit(self, kind):
        await self.timed(kind, get(random.choice(self.urls["hits"])), lambda s: s == 200)

    async def render(self, kind):
        width = random.randint(50, 1200)
        url = f"/{random.choice(FIXTURES)}?w={width}&fm={random.choice(['jpg', 'webp', 'png'])}"
        # 503 is the bounded render queue shedding load: by design.
        await self.timed(kind, get(url), lambda s: s in (200, 503))

    async def sizes(self, kind):
        # Widths of the 2.25 MP PNG: kept decoded pixels (the mezzanine) serve most of them.
        url = f"/large.png?w={random.randint(200, 1400)}&fm=jpg"
        await self.timed(kind, get(url), lambda s: s in (200, 503))

    async def passthrough(self, kind):
        await self.timed(kind, get("/" + random.choice(FIXTURES)), lambda s: s == 200)

    async def private(self, kind):
        await self.timed(kind, get(random.choice(self.urls["private"])), lambda s: s in (200, 503))

    async def upload(self, kind):
        body = self.urls["upload_body"]
        raw = (b"PUT " + random.choice(self.urls["uploads"]).encode() + b" HTTP/1.1\r\nHost: soak\r\n"
               b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        await self.timed(kind, raw, lambda s: s == 201)

    async def invalid(self, kind):
        target = random.choice([
            "/cups-800x500.jpg?w=-5", "/cups-800x500.jpg?w=NaN", "/cups-800x500.jpg?q=1000",
            "/cups-800x500.jpg?fm=exe", "/cups-800x500.jpg?dpr=inf", "/missing.jpg?w=10",
            "/a/..%2f..%2fetc/passwd", "/%ff%fe.jpg", "/cups-800x500.jpg?w=%00",
            "/cups-800x500.jpg?" + "&".join(f"p{i}=1" for i in range(2000)),
        ])
        await self.timed(kind, get(target), lambda s: 400 <= s < 500)

    async def bad_signature(self, kind):
        url = random.choice(self.urls["private"])
        cut = len(url) - random.randint(1, 6)
        forged = url[:cut] + ("A" if url[cut] != "A" else "B") + url[cut + 1:]
        target = random.choice([forged, url.split("?")[0] + "?w=100", url + "&w=1"])
        await self.timed(kind, get(target), lambda s: s == 403)

    async def bomb(self, kind):
        await self.timed(kind, get(random.choice(["/bomb.png?w=100", "/bomb.gif?w=100",
                                                  "/bomb-wide.png?w=100"])),
                         lambda s: s in (413, 503))

    async def corrupt(self, kind):
        await self.timed(kind, get(random.choice(["/truncated.jpg?w=100", "/fake.jpg?w=100",
                                                  "/empty.jpg?w=100"])),
                         lambda s: s in (415, 422, 503))

    async def oversized(self, kind):
        extra = random.choice([
            b"X-Big: " + b"a" * 40000 + b"\r\n",
            b"".join(b"X-H%d: 1\r\n" % i for i in range(300)),
        ])
        await self.timed(kind, get("/cups-800x500.jpg", extra), lambda s: s == 431)

    async def slow_head(self, kind):
        start = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        outcome = "held"
        try:
            writer.write(b"GET /cups-800x500.jpg HTTP/1.1\r\nHost: soak\r\n")
            await writer.drain()
            for _ in range(int(self.header_timeout * 4) + 8):
                await asyncio.sleep(0.5)
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
        except ConnectionError:
            outcome = "cut"
        if outcome == "held":
            try:
                data = await asyncio.wait_for(reader.read(100), 2)
                outcome = "cut" if not data or data.startswith(b"HTTP/1.1 408") else "held"
            except (asyncio.TimeoutError, ConnectionError):
                outcome = "held" if not reader.at_eof() else "cut"
        writer.close()
        # The head deadline must cut it, well before our 4x head_timeout of trickling.
        self.stats.record(kind, outcome, time.monotonic() - start, outcome == "cut")

    async def lying_upload(self, kind):
        url = random.choice(self.urls["uploads"]).encode()
        raw = (b"PUT " + url + b" HTTP/1.1\r\nHost: soak\r\nContent-Length: 100000\r\n\r\n"
               + b"\xff\xd8 not really")
        start = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(raw)
        await writer.drain()
        writer.close()  # gone before the promised bytes
        self.stats.record(kind, "sent", time.monotonic() - start, True)

    async def disconnect(self, kind):
        await self.timed(kind, get("/large.png"), lambda s: s == 200, read_limit=1024)

    async def client(self, deadline):
        while time.monotonic() < deadline:
            weight_pick = random.choices(self.kinds, weights=self.weights)[0]
            try:
                await weight_pick[2](weight_pick[1])
            except (ConnectionError, OSError) as e:
                self.stats.record(weight_pick[1], type(e).__name__, 0.0, False)


def rss_of(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024


def charged_cache_bytes(port):
    """Bytes the derivative and originals caches charge against their budgets, from /metrics."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/_pixgate/metrics",
                                     headers={"Host": "soak"})
    with urllib.request.urlopen(request, timeout=5) as reply:
        text = reply.read().decode()
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
               if line.startswith("pixgate_cache_bytes{"))


async def sample_rss(pid, port, deadline, samples):
    """(RSS, cache bytes charged) every half second: the peak is compared with what the caches
    really held then, not only with their budgets."""
    while time.monotonic() < deadline:
        try:
            rss = rss_of(pid)[0]
            charged = await asyncio.to_thread(charged_cache_bytes, port)
        except OSError:
            return
        samples.append((rss, charged))
        await asyncio.sleep(0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default=os.environ.get("PIXGATE_BIN", "target/release/pixgate"))
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DURATION", 120)))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("CLIENTS", 48)))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 18961)))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queue", type=int, default=8)
    parser.add_argument("--cache-mib", type=int, default=64)
    parser.add_argument("--originals-mib", type=int, default=32)
    parser.add_argument("--mezzanine-mib", type=int, default=16)
    parser.add_argument("--only", nargs="*", default=[],
                        help="run only the kinds whose name contains one of these words")
    parser.add_argument("--render-mib", type=int, default=36,
                        help="working set of the largest render in the mix, for the report: "
                        "a 1200 px WebP with alpha (docs/operations.md → Memory)")
    args = parser.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        sys.exit(f"no pixgate binary at {binary}: cargo build --release first, or --bin")

    tmp = tempfile.mkdtemp(prefix="pixgate-soak-")
    server = None
    try:
        root = os.path.join(tmp, "root")
        os.makedirs(os.path.join(root, "private"))
        for name in FIXTURES:
            shutil.copy(os.path.join(repo, "fixtures", name), root)
            shutil.copy(os.path.join(repo, "fixtures", name), os.path.join(root, "private"))
        with open(os.path.join(root, "bomb.png"), "wb") as f:
            f.write(png_bomb(100_000, 100_000))
        with open(os.path.join(root, "bomb-wide.png"), "wb") as f:
            f.write(png_bomb(2_000_000_000, 1))
        with open(os.path.join(root, "bomb.gif"), "wb") as f:
            f.write(gif_bomb())
        jpeg = open(os.path.join(repo, "fixtures", "forest-800x500.jpg"), "rb").read()
        with open(os.path.join(root, "truncated.jpg"), "wb") as f:
            f.write(jpeg[: len(jpeg) // 3])
        with open(os.path.join(root, "fake.jpg"), "wb") as f:
            f.write(b"<html><script>alert(1)</script></html>")
        open(os.path.join(root, "empty.jpg"), "wb").close()
        # A 6.75 MB PNG, 1500x1500 (above the 2 MP whose decode is kept), for the clients that
        # leave mid-response and for the sizes of a large original.
        with open(os.path.join(root, "large.png"), "wb") as f:
            raw = b"".join(b"\0" + os.urandom(3 * 1500) for _ in range(1500))
            f.write(png_bomb(1, 1)[:8])
            def chunk(kind, data):
                body = kind + data
                return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
            f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", 1500, 1500, 8, 2, 0, 0, 0)))
            f.write(chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))
        config = os.path.join(tmp, "pixgate.toml")
        with open(config, "w") as f:
            f.write(CONFIG.format(port=args.port, cache_mib=args.cache_mib,
                                  originals_mib=args.originals_mib,
                                  mezzanine_mib=args.mezzanine_mib, workers=args.workers,
                                  queue=args.queue, md5=SECRET_MD5, hmac=SECRET_HMAC))
        urls = {
            "hits": [f"/{name}?{v}" for name in FIXTURES for v in HIT_VARIANTS],
            "private": [sign(binary, config, f"private/{name}", [f"w={w}"])
                        for name in FIXTURES for w in (120, 240)],
            "uploads": [sign(binary, config, f"uploads/soak-{i}.jpg", [], method="put")
                        for i in range(16)],
            "upload_body": open(os.path.join(repo, "fixtures", "cups-800x500.jpg"), "rb").read(),
        }
        log = open(os.path.join(tmp, "pixgate.log"), "w")
        server = subprocess.Popen([binary, "serve", "--config", config], stdout=log,
                                  stderr=subprocess.STDOUT, env={**os.environ, "RUST_LOG": "warn"})
        asyncio.run(run(args, server, urls, root))
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


def leftovers(root):
    """Files left in the upload staging folders (bodies being received, pending chunks)."""
    found = []
    for sub in ("tmp", "uploads"):
        for dirpath, _, files in os.walk(os.path.join(root, ".pixgate", sub)):
            found += [os.path.join(dirpath, f) for f in files]
    return found


async def run(args, server, urls, root):
    for _ in range(100):
        try:
            status, _ = await exchange(args.port, get("/_pixgate/health"))
            if status == 200:
                break
        except OSError:
            pass
        await asyncio.sleep(0.1)
    else:
        sys.exit("pixgate did not start")
    for url in urls["hits"]:  # warm the cache so these are hits
        await exchange(args.port, get(url))
    idle_rss = rss_of(server.pid)[0]
    stats = Stats()
    soak = Soak(args.port, urls, stats, header_timeout=2.0, only=args.only)
    deadline = time.monotonic() + args.duration
    samples = []
    started = time.monotonic()
    await asyncio.gather(sample_rss(server.pid, args.port, deadline, samples),
                         *(soak.client(deadline) for _ in range(args.clients)))
    elapsed = time.monotonic() - started
    status, _ = await exchange(args.port, get(urls["hits"][0]))
    alive = status == 200 and server.poll() is None
    _, peak = rss_of(server.pid) if alive else (0, 0)
    await asyncio.sleep(6)  # past body_timeout: every interrupted upload is cleaned up by now
    left = leftovers(root)
    report(args, stats, elapsed, idle_rss, max(samples, default=(0, 0)), peak, alive)
    print(f"- staged upload files left after the run: {len(left)}")
    failed = sum(sum(c.values()) for c in stats.failures.values())
    sys.exit(0 if alive and failed == 0 and not left else 1)


def report(args, stats, elapsed, idle_rss, sampled, peak, alive):
    sampled_peak, charged_then = sampled
    total = sum(sum(c.values()) for c in stats.statuses.values())
    print(f"## pixgate soak: {args.duration:.0f} s, {args.clients} clients\n")
    print(f"- config: render_workers {args.workers}, render_queue {args.queue}, cache "
          f"{args.cache_mib} MiB, originals {args.originals_mib} MiB, mezzanine "
          f"{args.mezzanine_mib} MiB, header_timeout 2 s, "
          "body_timeout 5 s, max_source_pixels 40 M")
    print(f"- {total} requests in {elapsed:.0f} s ({total / elapsed:.0f}/s); server still "
          f"answering afterwards: {'yes' if alive else 'NO'}\n")
    print("| kind | requests | answers | failures | p50 ms | p99 ms |")
    print("|---|---:|---|---:|---:|---:|")
    for kind, counts in sorted(stats.statuses.items()):
        lat = sorted(stats.latency[kind])
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else 0
        answers = ", ".join(f"{s}: {n}" for s, n in sorted(counts.items(), key=str))
        failed = sum(stats.failures[kind].values())
        print(f"| {kind} | {sum(counts.values())} | {answers} | {failed} | {p(0.5):.1f} | {p(0.99):.1f} |")
    valid = sum(sum(c.values()) for k, c in stats.statuses.items() if k.startswith("valid"))
    valid_failed = sum(sum(c.values()) for k, c in stats.failures.items() if k.startswith("valid"))
    shed = sum(c[503] for k, c in stats.statuses.items() if k.startswith("valid"))
    # The formula's allocator slack: freed pages stay mapped 10 ms for the next render.
    budget = (20 + args.cache_mib + args.originals_mib + args.mezzanine_mib
              + args.workers * args.render_mib) * MIB * 1.25
    print(f"\n- valid requests: {valid}, failed: {valid_failed} "
          f"({100 * valid_failed / max(valid, 1):.2f} %), shed with 503 by design: {shed}")
    print(f"- RSS: idle {idle_rss / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB (sampled max "
          f"{sampled_peak / MIB:.0f} MiB); live data the budgets allow (docs/operations.md → Memory): 20 MiB "
          f"base + cache {args.cache_mib} + originals {args.originals_mib} + mezzanine "
          f"{args.mezzanine_mib} + {args.workers} "
          f"workers x {args.render_mib} MiB (the largest render here: a 1200 px WebP with "
          f"alpha), plus 25 % allocator slack = {budget / MIB:.0f} MiB; peak / that = "
          f"{peak / budget:.2f}")
    print(f"- at the sampled peak the caches charged {charged_then / MIB:.0f} MiB: sampled peak "
          f"minus idle minus that = {(sampled_peak - idle_rss - charged_then) / MIB:.0f} MiB held "
          "by renders, requests in flight and the allocator")


if __name__ == "__main__":
    main()
