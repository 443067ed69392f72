#!/usr/bin/env bash
# Cached-hit HTTP throughput of pixgate against nginx serving the same bytes from disk
# (issue 6: a ~30 KB cached hit at >= 0.9x nginx's requests/s; one server core, wrk on another).
#
# Env: PIXGATE_BIN (default: cargo build --release), DURATION (s, default 10), ROUNDS (default 3),
#      CONNS (default 32), SERVER_CPU (default 0), LOAD_CPU (default 1),
#      PIXGATE_PORT (default 18931), NGINX_PORT (default 18932).
set -euo pipefail

DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-32}"
SERVER_CPU="${SERVER_CPU:-0}"
LOAD_CPU="${LOAD_CPU:-1}"
PIXGATE_PORT="${PIXGATE_PORT:-18931}"
NGINX_PORT="${NGINX_PORT:-18932}"
IMAGE_KEY="forest-800x500.jpg"
QUERY="w=420&fm=jpg&q=85" # ~30 KB JPEG derivative of the 126 KB fixture

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$script_dir/.." && pwd)"

die() { echo "error: $*" >&2; exit 1; }

missing=()
for tool in wrk nginx; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]} > 0)); then
    echo "missing: ${missing[*]}; install with:" >&2
    echo "  apt-get install -y wrk nginx" >&2
    exit 1
fi
command -v taskset >/dev/null 2>&1 || die "taskset missing (apt-get install -y util-linux)"
command -v curl >/dev/null 2>&1 || die "curl missing (apt-get install -y curl)"
if (($(nproc) < 2)); then
    die "need at least 2 CPUs (server on $SERVER_CPU, wrk on $LOAD_CPU)"
fi

if [[ -z "${PIXGATE_BIN:-}" ]]; then
    (cd "$repo" && cargo build --release)
    PIXGATE_BIN="$repo/target/release/pixgate"
fi
[[ -x "$PIXGATE_BIN" ]] || die "PIXGATE_BIN=$PIXGATE_BIN is not executable"

tmp="$(mktemp -d)"
pixgate_pid=""
nginx_pid=""
cleanup() {
    local pid
    for pid in "$pixgate_pid" "$nginx_pid"; do
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# nginx workers drop to an unprivileged user when started as root: let them read www/.
chmod 755 "$tmp"

wait_up() { # url
    local i
    for ((i = 0; i < 100; i++)); do
        curl -sf -o /dev/null "$1" && return 0
        sleep 0.1
    done
    return 1
}

for port in "$PIXGATE_PORT" "$NGINX_PORT"; do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
        die "something already answers on 127.0.0.1:$port"
    fi
done

# --- pixgate ---------------------------------------------------------------------------------
mkdir -p "$tmp/root" "$tmp/www"
cp "$repo/fixtures/$IMAGE_KEY" "$tmp/root/"
cat >"$tmp/pixgate.toml" <<EOF
[server]
listen = "127.0.0.1:$PIXGATE_PORT"

[log]
format = "text"

[[sources]]
name = "bench"
root = "root"
md5_tokens = ["t"]
EOF
RUST_LOG=warn taskset -c "$SERVER_CPU" "$PIXGATE_BIN" serve --config "$tmp/pixgate.toml" \
    >"$tmp/pixgate.log" 2>&1 &
pixgate_pid=$!
pixgate_url="http://127.0.0.1:$PIXGATE_PORT/$IMAGE_KEY?$QUERY"
wait_up "$pixgate_url" || { cat "$tmp/pixgate.log" >&2; die "pixgate did not answer"; }
# wait_up's successful GET rendered and cached the derivative; the next one must be a hit.
x_cache="$(curl -s -o /dev/null -D - "$pixgate_url" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-cache" {print $2}')"
[[ "$x_cache" == "HIT" ]] || die "expected X-Cache: HIT on the second request, got '${x_cache}'"
curl -sf -o "$tmp/www/thumb.jpg" "$pixgate_url"
chmod 644 "$tmp/www/thumb.jpg"

# --- nginx -----------------------------------------------------------------------------------
cat >"$tmp/nginx.conf" <<EOF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log warn;
events {}
http {
    types { image/jpeg jpg; }
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    client_body_temp_path $tmp/client_body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $tmp/www;
    }
}
EOF
taskset -c "$SERVER_CPU" nginx -p "$tmp/" -e "$tmp/nginx-error.log" -c "$tmp/nginx.conf" \
    -g 'daemon off;' >"$tmp/nginx.out" 2>&1 &
nginx_pid=$!
nginx_url="http://127.0.0.1:$NGINX_PORT/thumb.jpg"
wait_up "$nginx_url" || { cat "$tmp/nginx.out" "$tmp/nginx-error.log" >&2; die "nginx did not answer"; }

pixgate_size="$(curl -s -o /dev/null -w '%{size_download}' "$pixgate_url")"
nginx_size="$(curl -s -o /dev/null -w '%{size_download}' "$nginx_url")"
[[ "$pixgate_size" == "$nginx_size" ]] || die "body sizes differ: pixgate $pixgate_size, nginx $nginx_size"
if ((pixgate_size < 25000 || pixgate_size > 35000)); then
    echo "warning: body is $pixgate_size bytes, outside 25-35 KB" >&2
fi

# --- load ------------------------------------------------------------------------------------
# run_wrk NAME URL ROUND: appends "round name req/s p50 p99" to $tmp/results
run_wrk() {
    local name="$1" url="$2" round="$3" out rps p50 p99 bad
    out="$tmp/wrk-$name-$round.txt"
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$url" >"$out"
    rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
    p50="$(awk '$1 == "50%" {print $2}' "$out")"
    p99="$(awk '$1 == "99%" {print $2}' "$out")"
    bad="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")"
    [[ -n "$rps" ]] || { cat "$out" >&2; die "no Requests/sec in wrk output for $name"; }
    [[ -z "$bad" ]] || { cat "$out" >&2; die "$name: $bad non-2xx responses"; }
    if grep -q 'Socket errors' "$out"; then
        echo "warning: $name round $round: $(grep 'Socket errors' "$out" | sed 's/^ *//')" >&2
    fi
    echo "$round $name $rps $p50 $p99" >>"$tmp/results"
}

median() { # reads numbers on stdin
    sort -g | awk '{v[NR] = $1} END {
        if (NR == 0) exit 1
        if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2]
        else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

: >"$tmp/results"
for ((r = 1; r <= ROUNDS; r++)); do
    echo "round $r/$ROUNDS ..." >&2
    if ((r % 2)); then
        run_wrk pixgate "$pixgate_url" "$r"
        run_wrk nginx "$nginx_url" "$r"
    else
        run_wrk nginx "$nginx_url" "$r"
        run_wrk pixgate "$pixgate_url" "$r"
    fi
done

pixgate_med="$(awk '$2 == "pixgate" {print $3}' "$tmp/results" | median)"
nginx_med="$(awk '$2 == "nginx" {print $3}' "$tmp/results" | median)"
ratio="$(awk -v a="$pixgate_med" -v b="$nginx_med" 'BEGIN {printf "%.3f", a / b}')"
verdict="$(awk -v r="$ratio" 'BEGIN {print (r >= 0.9 ? "meets" : "BELOW")}')"

echo "## pixgate cached hit vs nginx static file"
echo
echo "- repo: $(git -C "$repo" describe --always --dirty --tags 2>/dev/null || echo unknown)"
echo "- pixgate: \`$pixgate_url\` ($pixgate_size bytes, X-Cache: HIT)"
echo "- nginx $(nginx -v 2>&1 | sed 's|.*/||'): \`$nginx_url\` ($nginx_size bytes, sendfile on)"
echo "- servers on CPU $SERVER_CPU, \`wrk -t1 -c$CONNS -d${DURATION}s --latency\` on CPU $LOAD_CPU," \
    "$ROUNDS rounds, order alternating"
echo
echo "| round | server | req/s | p50 | p99 |"
echo "|---|---|---:|---:|---:|"
while read -r round name rps p50 p99; do
    echo "| $round | $name | $rps | $p50 | $p99 |"
done <"$tmp/results"
echo
echo "| median req/s pixgate | median req/s nginx | pixgate / nginx | issue 6 (>= 0.9) |"
echo "|---:|---:|---:|---|"
echo "| $pixgate_med | $nginx_med | $ratio | $verdict |"
