#!/usr/bin/env bash
# Checks the server against its own OpenAPI document: starts the binary ($1, default
# target/debug/pixgate) on 127.0.0.1 with an ephemeral port and a throw-away configuration, then
# runs schemathesis (pinned, installed from PyPI into a venv under target/ that later runs reuse)
# against /_pixgate/openapi.json. Exits non-zero on any failed check; the server is stopped on
# exit. scripts/schemathesis_hooks.py signs the PUTs (docs/service-api.md says what runs and why).
# Knobs: MAX_EXAMPLES (per operation, default 20), SEED (default a fixed one, so CI is
# repeatable; `SEED=random` for a fresh one), SCHEMATHESIS_VENV (default target/schemathesis-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/live-server.sh
source scripts/lib/live-server.sh
live_binary "${1:-}"
scripts=$(realpath scripts)
version=4.32.5
venv=$(realpath -m "${SCHEMATHESIS_VENV:-target/schemathesis-venv}")
if [[ ! -x $venv/bin/schemathesis ]] || [[ $("$venv/bin/schemathesis" --version) != *" $version" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$version"
fi

live_workdir

# One public folder source with a file at the path the document's example names and a private
# folder; its HMAC key is also the service API's bearer token.
mkdir -p "$work/images/private"
cp fixtures/cups-alpha-640x400.png "$work/images/cups.png"
cp fixtures/pixel-1x1.png "$work/images/private/pixel.png"
cat >"$work/pixgate.toml" <<TOML
[server]
listen = "127.0.0.1:0"

# On, so its documented answers (and its 405s) are what is checked; off it is a 404.
[playground]
enabled = true

[[sources]]
name = "demo"
root = "$work/images"
private_prefixes = ["private/"]
hmac_keys = ["schemathesis-key"]
md5_tokens = ["schemathesis-token"]
TOML

live_serve

# Every check but positive_data_acceptance, which expects any request the schema allows to
# succeed: here validity also depends on what no schema states (an HMAC of the wire URL, the
# clock against `expiry` and `max_ttl`, a chunk's length against its Content-Range and the
# chunks before it, transform parameters against each other and the limits, the storage-key
# rules). Run from the temp dir, so hypothesis' and schemathesis' caches go with it.
seed=${SEED:-20261204}
[[ $seed == random ]] && seed=""
status=0
(
    cd "$work"
    PYTHONPATH="$scripts" PYTHONDONTWRITEBYTECODE=1 SCHEMATHESIS_HOOKS=schemathesis_hooks \
        PIXGATE_HMAC_KEY=schemathesis-key PIXGATE_MD5_TOKEN=schemathesis-token \
        timeout 300 "$venv/bin/schemathesis" run "$base/_pixgate/openapi.json" \
        --header "Authorization: Bearer schemathesis-key" \
        --checks all --exclude-checks positive_data_acceptance \
        --max-examples "${MAX_EXAMPLES:-20}" \
        --request-timeout 10 \
        --generation-database none \
        ${seed:+--seed "$seed"} \
        --no-color
) || status=$?
live_log_on_failure "$status"
exit $status
