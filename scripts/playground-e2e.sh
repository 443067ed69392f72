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
# shellcheck source=scripts/lib/live-server.sh
source scripts/lib/live-server.sh
live_binary "${1:-}"
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

live_workdir

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

live_serve

status=0
PROFILE_DIR="$work/chromium-profile" node scripts/playground-e2e.mjs "$base" e2e-key || status=1
live_log_on_failure "$status"
exit $status
