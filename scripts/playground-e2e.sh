#!/usr/bin/env bash
# The playground page end to end in headless Chromium: starts the binary ($1, default
# target/debug/pixgate) on 127.0.0.1 with an ephemeral port and a throw-away configuration (a
# folder source holding one fixture, an HMAC key for the signatures endpoint, the playground
# on), then drives the page with scripts/playground-e2e.mjs. Needs Node.js and Debian's
# Chromium at /usr/bin/chromium (CHROMIUM to use another); playwright-core is installed once
# into target/playwright (PLAYWRIGHT_DIR) and never downloads a browser. Exits non-zero on a
# failure; the server is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-target/debug/pixgate}")
if [[ ! -x $binary ]]; then
    echo "no pixgate binary at $binary: run cargo build first" >&2
    exit 1
fi
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $CHROMIUM ]]; then
    echo "no Chromium at $CHROMIUM: apt-get install -y chromium" >&2
    exit 1
fi

# Pinned: the version the machine notes (/work/.library/env) were checked with.
playwright_version=1.64.1
playwright_dir=${PLAYWRIGHT_DIR:-target/playwright}
if [[ ! -f $playwright_dir/node_modules/playwright-core/package.json ]] ||
    ! grep -q "\"version\": \"$playwright_version\"" "$playwright_dir/node_modules/playwright-core/package.json"; then
    mkdir -p "$playwright_dir"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$playwright_dir" --no-save \
        --no-audit --no-fund --loglevel=error "playwright-core@$playwright_version" >&2
fi
export PLAYWRIGHT_DIR=$(realpath "$playwright_dir")

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

mkdir -p "$work/demo/albums"
cp fixtures/cups-alpha-640x400.png "$work/demo/cups.png"
cp fixtures/forest-800x500.jpg "$work/demo/albums/forest.jpg"
cat >"$work/pixgate.toml" <<TOML
[server]
listen = "127.0.0.1:0"

[playground]
enabled = true

[[sources]]
name = "demo"
root = "$work/demo"
hmac_keys = ["e2e-key"]
TOML

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
PROFILE_DIR="$work/chromium-profile" node scripts/playground-e2e.mjs "$base" e2e-key || status=1
if [[ $status -ne 0 ]]; then
    echo "--- server log" >&2
    tail -n 40 "$work/server.log" >&2
fi
exit $status
