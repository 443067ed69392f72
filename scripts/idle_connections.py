#!/usr/bin/env python3
"""Idle connections (issue 25): with N kept-alive connections open and idle (default 10 000),
`/_pixgate/health` still answers within 50 ms from a fresh connection and the server's RSS
stays within a stated bound; the connection caps still refuse the next one with a `503`.

Standard library only. Usage (from the repo; see scripts/README.md):

    scripts/idle_connections.py --bin target/release/pixgate --connections 10000

Each held connection sends one complete keep-alive `GET /_pixgate/health`, reads the answer
and then stays idle, as a CDN's pooled connections do; they come from 127.0.0.2, 127.0.0.3, …
with `--per-client` of them per address, each address exactly at
`server.max_connections_per_client`. Exit status 1 when the health p99 is over `--max-p99-ms`,
RSS is over `--max-rss-mib`, a held connection was lost, or a cap did not refuse.
"""

import argparse
import errno
import gc
import os
import re
import resource
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter

MIB = 1024 * 1024
KIB = 1024
# The stated bound: RSS with N idle connections ≤ BASE + N × PER_CONNECTION (see
# docs/operations.md → Ten thousand idle connections).
# 2026-12-04 (2-core VM): 20 MiB idle and 13.5 KiB per connection; the bound is 1.5x that.
BOUND_BASE_MIB = 30
BOUND_PER_CONNECTION_KIB = 20
FIXTURE = "forest-800x500.jpg"
CONFIG = """
[server]
listen = "127.0.0.1:0"
idle_timeout = "{idle_timeout}"
max_connections = {max_connections}
max_connections_per_client = {per_client}

[log]
format = "text"

[[sources]]
name = "idle"
root = "root"
"""
HEALTH_KEEP_ALIVE = b"GET /_pixgate/health HTTP/1.1\r\nHost: idle\r\n\r\n"
HEALTH_CLOSE = b"GET /_pixgate/health HTTP/1.1\r\nHost: idle\r\nConnection: close\r\n\r\n"


def parse_response(buf):
    """(status, body) once `buf` holds a whole answer with a Content-Length, else None."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].split(b"\r\n")
    length = 0
    for line in head[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if len(buf) < end + 4 + length:
        return None
    return int(head[0].split(b" ", 2)[1]), buf[end + 4:end + 4 + length]


class Held:
    """One connection driven by the selector: connect (unless already open), send one
    keep-alive health request, read the whole answer, then idle."""

    def __init__(self, source, sock=None):
        self.source = source
        self.sock = sock
        self.buf = b""
        self.outcome = None  # "idle" or a failure word

    def start(self, port, sel):
        if self.sock is None:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setblocking(False)
            self.sock.bind((self.source, 0))
            err = self.sock.connect_ex(("127.0.0.1", port))
            if err not in (0, errno.EINPROGRESS):
                return self.fail(sel, errno.errorcode.get(err, str(err)), registered=False)
            sel.register(self.sock, selectors.EVENT_WRITE, self)
        else:
            self.buf = b""
            sel.register(self.sock, selectors.EVENT_WRITE, self)

    def on_event(self, sel, mask):
        try:
            if mask & selectors.EVENT_WRITE:
                err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    return self.fail(sel, errno.errorcode.get(err, str(err)))
                self.sock.send(HEALTH_KEEP_ALIVE)  # a fresh send buffer takes it whole
                sel.modify(self.sock, selectors.EVENT_READ, self)
                return
            data = self.sock.recv(65536)
        except OSError as e:
            return self.fail(sel, errno.errorcode.get(e.errno, type(e).__name__))
        if not data:
            return self.fail(sel, "closed")
        self.buf += data
        answer = parse_response(self.buf)
        if answer is None:
            return
        sel.unregister(self.sock)
        self.outcome = "idle" if answer[0] == 200 else str(answer[0])

    def fail(self, sel, why, registered=True):
        if registered:
            sel.unregister(self.sock)
        self.sock.close()
        self.sock = None
        self.outcome = why


def drive(port, conns, window, timeout):
    """Runs each `Held` to its outcome, at most `window` in progress at once."""
    sel = selectors.DefaultSelector()
    waiting = list(reversed(conns))
    active = set()
    deadline = time.monotonic() + timeout
    while (waiting or active) and time.monotonic() < deadline:
        while waiting and len(active) < window:
            conn = waiting.pop()
            conn.start(port, sel)
            if conn.outcome is None:
                active.add(conn)
        for key, mask in sel.select(timeout=1.0):
            key.data.on_event(sel, mask)
            if key.data.outcome is not None:
                active.discard(key.data)
    for conn in active:
        conn.fail(sel, "timeout")
    for conn in waiting:
        conn.outcome = "not started"
    sel.close()
    return Counter(c.outcome for c in conns)


def exchange(port, raw, source="127.0.0.1", timeout=5.0):
    """One request on a fresh connection: (status, body), or (failure word, b"")."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.bind((source, 0))
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(raw)
            buf = b""
            while (answer := parse_response(buf)) is None:
                data = s.recv(65536)
                if not data:
                    return "closed", b""
                buf += data
            return answer
        except OSError as e:
            return errno.errorcode.get(e.errno, type(e).__name__), b""


def health_latency(port, samples, interval):
    """Milliseconds for each of `samples` sequential health checks on fresh connections,
    `interval` seconds apart so that they span the server's periodic work."""
    times, failures = [], Counter()
    for _ in range(samples):
        time.sleep(interval)
        start = time.perf_counter()
        status, _ = exchange(port, HEALTH_CLOSE)
        elapsed = (time.perf_counter() - start) * 1000
        if status == 200:
            times.append(elapsed)
        else:
            failures[status] += 1
    return sorted(times), failures


def pct(sorted_ms, q):
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))] if sorted_ms else float("nan")


def memory(pid):
    """(VmRSS, VmHWM, open fds) of the process, in bytes and a count."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return int(fields["VmRSS"].split()[0]) * KIB, int(fields["VmHWM"].split()[0]) * KIB, fds


def cpu_seconds(pid):
    """User plus system CPU time the process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def metrics(port):
    status, body = exchange(port, b"GET /_pixgate/metrics HTTP/1.1\r\nHost: idle\r\n"
                                  b"Connection: close\r\n\r\n")
    values = {}
    if status == 200:
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
    return values


def refused_by(values, cap):
    return values.get(f'pixgate_connections_refused_total{{cap="{cap}"}}', 0)


def refusals(port, source, count, wait=2.0):
    """Opens `count` connections from `source` that send nothing; returns those the server
    answered at once (the refusal is written before any request is read) and those it kept."""
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        socks.append(s)
    time.sleep(wait)
    refused, kept = [], 0
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    ready = {key.fileobj for key, _ in sel.select(timeout=0)}
    for s in socks:
        if s in ready:
            buf = b""
            try:
                while data := s.recv(65536):
                    buf += data
            except OSError:
                pass
            answer = parse_response(buf)
            refused.append(answer if answer else ("closed", b""))
        else:
            kept += 1
        s.close()
    sel.close()
    return refused, kept


def is_too_many(answer):
    return answer[0] == 503 and b'"too_many_connections"' in answer[1]


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and need > hard:
        sys.exit(f"need {need} open files, the hard limit is {hard}: fewer --connections")
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def start_server(binary, tmp, args):
    root = os.path.join(tmp, "root")
    os.makedirs(root)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shutil.copy(os.path.join(repo, "fixtures", FIXTURE), root)
    config = os.path.join(tmp, "pixgate.toml")
    with open(config, "w") as f:
        f.write(CONFIG.format(idle_timeout=args.idle_timeout,
                              max_connections=args.connections + args.headroom,
                              per_client=args.per_client))
    log_path = os.path.join(tmp, "pixgate.log")
    log = open(log_path, "w")
    need = args.connections + args.headroom + 512
    server = subprocess.Popen(
        [binary, "serve", "--config", config], cwd=tmp, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "RUST_LOG": "info"},
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (need, need)))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and server.poll() is None:
        text = re.sub(r"\x1b\[[0-9;]*m", "", open(log_path).read())
        found = re.search(r"listening on http://[\d.]+:(\d+)", text)
        if found:
            return server, int(found.group(1))
        time.sleep(0.1)
    print(open(log_path).read(), file=sys.stderr)
    server.kill()
    sys.exit("pixgate did not start")


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    except OSError:
        return "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default=os.environ.get("PIXGATE_BIN", "target/release/pixgate"))
    parser.add_argument("--connections", type=int, default=10_000,
                        help="idle kept-alive connections to hold")
    parser.add_argument("--per-client", type=int, default=1000,
                        help="connections per source address, and max_connections_per_client")
    parser.add_argument("--headroom", type=int, default=64,
                        help="max_connections is --connections plus this")
    parser.add_argument("--idle-timeout", default="10m", help="server.idle_timeout")
    parser.add_argument("--samples", type=int, default=200,
                        help="health checks on fresh connections, one after another")
    parser.add_argument("--interval", type=float, default=0.05,
                        help="seconds between two health checks")
    parser.add_argument("--hold", type=float, default=10.0,
                        help="seconds to let the connections sit idle before measuring")
    parser.add_argument("--window", type=int, default=200,
                        help="connections being opened at once")
    parser.add_argument("--max-p99-ms", type=float, default=50.0)
    parser.add_argument("--max-rss-mib", type=float, default=None,
                        help=f"default {BOUND_BASE_MIB} MiB + connections x "
                             f"{BOUND_PER_CONNECTION_KIB} KiB")
    args = parser.parse_args()
    if args.max_rss_mib is None:
        args.max_rss_mib = BOUND_BASE_MIB + args.connections * BOUND_PER_CONNECTION_KIB / 1024
    addresses = -(-args.connections // args.per_client)
    if addresses + 2 > 254:
        sys.exit("too many source addresses: raise --per-client")
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        sys.exit(f"no pixgate binary at {binary}: cargo build --release first, or --bin")
    raise_nofile(args.connections + args.headroom + 512)

    tmp = tempfile.mkdtemp(prefix="pixgate-idle-")
    server = None
    try:
        server, port = start_server(binary, tmp, args)
        ok = run(args, server, port, addresses)
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0 if ok else 1)


def run(args, server, port, addresses):
    for _ in range(20):  # warm up: the first answers allocate what every answer reuses
        exchange(port, HEALTH_CLOSE)
    base_cpu = cpu_seconds(server.pid)
    base_ms, base_failed = health_latency(port, args.samples, args.interval)
    base_cpu = cpu_seconds(server.pid) - base_cpu
    base_rss, _, base_fds = memory(server.pid)

    sources = [f"127.0.0.{2 + i // args.per_client}" for i in range(args.connections)]
    conns = [Held(source) for source in sources]
    started = time.monotonic()
    opened = drive(port, conns, args.window, timeout=300)
    open_s = time.monotonic() - started
    held = [c for c in conns if c.outcome == "idle"]
    # Our own garbage collector must not pause the measurement: nothing here is cyclic.
    gc.collect()
    gc.freeze()
    time.sleep(args.hold)

    load = os.getloadavg()[0]
    idle_cpu = cpu_seconds(server.pid)
    idle_ms, idle_failed = health_latency(port, args.samples, args.interval)
    idle_cpu = cpu_seconds(server.pid) - idle_cpu
    rss, hwm, fds = memory(server.pid)
    gauge = metrics(port).get("pixgate_connections_open", float("nan"))

    # Every held connection is still open and answers its next request.
    for c in held:
        c.outcome = None
    reused = drive(port, held, args.window, timeout=120)

    # The caps: one more from an address at its cap, then past max_connections.
    before = metrics(port)
    per_client_refused, per_client_kept = refusals(port, "127.0.0.2", 1)
    extra = args.headroom + 4
    total_refused, total_kept = refusals(port, f"127.0.0.{2 + addresses}", extra)
    after = metrics(port)
    caps = {cap: int(refused_by(after, cap) - refused_by(before, cap))
            for cap in ("max_connections_per_client", "max_connections")}

    for c in held:
        if c.sock is not None:
            c.sock.close()
    time.sleep(2)
    closed_rss, _, closed_fds = memory(server.pid)

    per_conn = (rss - base_rss) / max(len(held), 1)
    checks = {
        f"all {args.connections} held connections opened": len(held) == args.connections,
        "all still open and answering after the measurement": reused["idle"] == len(held),
        f"health p99 ≤ {args.max_p99_ms:g} ms with them open":
            not idle_failed and pct(idle_ms, 0.99) <= args.max_p99_ms,
        f"RSS ≤ {args.max_rss_mib:.0f} MiB": rss <= args.max_rss_mib * MIB,
        "one more from a full address: 503 too_many_connections":
            per_client_kept == 0 and all(map(is_too_many, per_client_refused))
            and caps["max_connections_per_client"] == 1,
        "past max_connections: 503 too_many_connections":
            len(total_refused) >= 1 and all(map(is_too_many, total_refused))
            and caps["max_connections"] == len(total_refused),
    }

    print(f"## pixgate with {args.connections} idle connections\n")
    print(f"- commit {commit()}, {os.cpu_count()} cores, `{os.path.basename(args.bin)}`, "
          f"{time.strftime('%Y-%m-%d')}; load average {load:.1f} when measuring "
          "(another job competing for the cores shows here and in the latency)")
    print(f"- config: idle_timeout {args.idle_timeout}, max_connections "
          f"{args.connections + args.headroom}, max_connections_per_client {args.per_client}; "
          f"held from {addresses} addresses (127.0.0.2…), {args.per_client} each; each sent "
          f"one keep-alive health request, read the answer, then sat idle")
    print(f"- opened in {open_s:.1f} s ({dict(opened)}), held idle {args.hold:g} s before "
          f"measuring; server's gauge pixgate_connections_open: {gauge:.0f}")
    print(f"- afterwards, a second request on every held connection: {dict(reused)}")
    print(f"- one more from 127.0.0.2: {describe(per_client_refused, per_client_kept)}; "
          f"{extra} more from a fresh address: {describe(total_refused, total_kept)}; "
          f"refusals counted by cap: {caps}\n")
    print("| | idle server | with the connections | after closing them |")
    print("|---|---:|---:|---:|")
    print(f"| connections held | 0 | {len(held)} | 0 |")
    print(f"| RSS (VmRSS) | {base_rss / MIB:.1f} MiB | {rss / MIB:.1f} MiB | "
          f"{closed_rss / MIB:.1f} MiB |")
    print(f"| peak RSS (VmHWM) | | {hwm / MIB:.1f} MiB | |")
    print(f"| RSS per held connection | | {per_conn / KIB:.1f} KiB | |")
    print(f"| open fds | {base_fds} | {fds} | {closed_fds} |")
    print(f"| health p50 / p99 / max ({args.samples} fresh connections, one every "
          f"{args.interval * 1000:g} ms) | "
          f"{latency(base_ms, base_failed)} | {latency(idle_ms, idle_failed)} | |")
    print(f"| server CPU during those checks | {base_cpu:.2f} s | {idle_cpu:.2f} s | |")
    print(f"\n- RSS bound: {args.max_rss_mib:.0f} MiB"
          + (f" (= {BOUND_BASE_MIB} MiB + {args.connections} × {BOUND_PER_CONNECTION_KIB} KiB)"
             if args.max_rss_mib == BOUND_BASE_MIB + args.connections * BOUND_PER_CONNECTION_KIB / 1024
             else ""))
    for name, passed in checks.items():
        print(f"- {'ok' if passed else 'FAILED'}: {name}")
    return all(checks.values())


def latency(ms, failed):
    text = f"{pct(ms, 0.5):.2f} / {pct(ms, 0.99):.2f} / {max(ms, default=float('nan')):.2f} ms"
    return text + (f" (failed: {dict(failed)})" if failed else "")


def describe(refused, kept):
    answers = Counter("503 too_many_connections" if is_too_many(a) else str(a[0])
                      for a in refused)
    return f"{kept} kept, refused {dict(answers) or 0}"


if __name__ == "__main__":
    main()
