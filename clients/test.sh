#!/usr/bin/env bash
# Tests the signing libraries against a live pixgate: starts the binary ($1, default
# target/debug/pixgate) on 127.0.0.1 with an ephemeral port and a throw-away configuration, then
# runs the JavaScript and Python tests against it. Exits non-zero if either fails; the server
# is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-target/debug/pixgate}")
if [[ ! -x $binary ]]; then
    echo "no pixgate binary at $binary: run cargo build first" >&2
    exit 1
fi

work=$(mktemp -d)
server=""
cleanup() {
    if [[ -n $server ]]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# The sources and files clients/vectors.json signs for (as in
# tests/integration/signing/client_vectors.rs): `demo` at the root and `shop` under /shop,
# both secure, so every request needs a valid signature.
mkdir -p "$work/demo/users" "$work/demo/private" "$work/shop/albums"
cp fixtures/cups-alpha-640x400.png "$work/demo/users/1.png"
cp fixtures/pixel-1x1.png "$work/demo/private/image.png"
cp fixtures/cups-alpha-640x400.png "$work/shop/albums/cat été+1.png"
cat >"$work/pixgate.toml" <<EOF
[server]
listen = "127.0.0.1:0"

[[sources]]
name = "demo"
root = "$work/demo"
secure = true
md5_tokens = ["FOO123bar"]
hmac_keys = ["demo-key"]

[[sources]]
name = "shop"
root = "$work/shop"
prefix = "/shop"
secure = true
md5_tokens = ["shop-token"]
hmac_keys = ["shop-key"]
EOF

"$binary" serve --config "$work/pixgate.toml" >"$work/server.log" 2>&1 &
server=$!
# The port is known once the server logs the address it listens on.
base=""
for _ in $(seq 100); do
    base=$(grep -o -m1 'listening on http://127\.0\.0\.1:[0-9]*' "$work/server.log" | cut -d' ' -f3 || true)
    [[ -n $base ]] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $base ]]; then
    echo "pixgate did not start:" >&2
    cat "$work/server.log" >&2
    exit 1
fi

status=0
node clients/js/test.mjs "$base" || status=1
# -B: no __pycache__ left in the tree.
python3 -B clients/python/test_pixgate_sign.py "$base" || status=1
if [[ $status -ne 0 ]]; then
    echo "--- server log" >&2
    tail -n 40 "$work/server.log" >&2
fi
exit $status
