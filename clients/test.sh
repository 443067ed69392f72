#!/usr/bin/env bash
# Tests the signing libraries against a live pixgate: starts the binary ($1, default
# target/debug/pixgate) on 127.0.0.1 with an ephemeral port and a throw-away configuration, then
# runs the JavaScript and Python tests against it. Exits non-zero if either fails; the server
# is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/live-server.sh
source scripts/lib/live-server.sh
live_binary "${1:-}"

live_workdir

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

live_serve

status=0
node clients/js/test.mjs "$base" || status=1
# -B: no __pycache__ left in the tree.
python3 -B clients/python/test_pixgate_sign.py "$base" || status=1
live_log_on_failure "$status"
exit $status
