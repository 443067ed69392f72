#!/usr/bin/env bash
# Load test of pixgate over loopback with wrk: requests/s, latency percentiles, status counts and
# peak RSS for two mixes, each against a fresh pixgate process (so each mix's peak RSS is its own):
#
#   hits     20 distinct transform URLs over the fixtures (5 files x 4 width/format variants), all
#            rendered once with curl and checked to answer `X-Cache: HIT` before wrk starts; wrk
#            then cycles through them, so every measured request is a cache hit.
#   renders  widths 100..1600 x 5 fixtures x fm=jpg/webp (15,010 distinct URLs) in a fixed
#            shuffled order, each wrk thread walking its own share, so a request only repeats
#            once a thread wraps around its share: nearly every request misses and renders
#            (widths above the source's are upscaled). pixgate may shed load here with
#            `503` + `Retry-After` (its render queue is bounded): counted apart from other
#            non-2xx, not treated as a failure.
#
# Env knobs (defaults):
#   PIXGATE_BIN    pixgate binary (default: `cargo build --release` in the repo, then
#                  target/release/pixgate)
#   DURATION       seconds of wrk per mix (20)
#   CONNS          wrk connections for both mixes (unset: 32 for hits, 8 for renders)
#   HIT_CONNS      connections for the hit mix (CONNS, else 32)
#   RENDER_CONNS   connections for the render mix (CONNS, else 8: about 4 renders in flight per
#                  core keeps both cores busy without turning the run into a queueing test)
#   THREADS        wrk threads (1)
#   PORT           pixgate port on 127.0.0.1 (18941)
#   MIXES          which mixes to run, in order ("hits renders")
#   WRK_TIMEOUT    wrk's per-request timeout (10s; wrk's own default of 2s would count slow
#                  renders as socket timeouts)
#
# pixgate runs with RUST_LOG=warn, logging to a file in the temp dir, so the load is measured
# and not log writing. Nothing is pinned (no taskset): renders need both cores, and wrk shares
# the same machine as pixgate, so on a 2-core box wrk's own CPU use is part of the picture.
# The temp dir (config, copy of the fixtures, logs, wrk output) is removed on exit, and pixgate
# is stopped, on any exit including Ctrl-C.
#
# Output: a Markdown report on stdout; progress on stderr. Needs wrk (with Lua) and curl:
#   apt-get install -y wrk curl
# Examples:
#   scripts/load.sh
#   PIXGATE_BIN=target/release/pixgate DURATION=5 scripts/load.sh > load-report.md
#   PIXGATE_BIN=target/release/pixgate MIXES=renders RENDER_CONNS=16 scripts/load.sh
set -euo pipefail

DURATION="${DURATION:-20}"
THREADS="${THREADS:-1}"
PORT="${PORT:-18941}"
HIT_CONNS="${HIT_CONNS:-${CONNS:-32}}"
RENDER_CONNS="${RENDER_CONNS:-${CONNS:-8}}"
MIXES="${MIXES:-hits renders}"
WRK_TIMEOUT="${WRK_TIMEOUT:-10s}"

# Fixtures used by both mixes (copied into the temp root), and the hit mix's variants.
FILES=(cups-800x500.jpg cups-alpha-640x400.png forest-640x400.webp forest-800x500.jpg
    forest-orient6.jpg)
HIT_VARIANTS=("w=160&fm=webp" "w=320&fm=jpg" "w=420&fm=jpg&q=85" "w=640&fm=webp")
RENDER_FORMATS=(jpg webp)
RENDER_MIN_W=100
RENDER_MAX_W=1600

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$script_dir/.." && pwd)"
lua="$script_dir/load/mix.lua"

die() { echo "error: $*" >&2; exit 1; }
say() { echo "[load] $*" >&2; }
join() { # SEP ITEM... -> items joined by SEP
    local sep="$1" out="$2" item
    shift 2
    for item in "$@"; do out+="$sep$item"; done
    echo "$out"
}

missing=()
for tool in wrk curl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]} > 0)); then
    echo "error: missing ${missing[*]}; install with:" >&2
    echo "  apt-get install -y wrk curl" >&2
    exit 1
fi
command -v timeout >/dev/null 2>&1 || die "timeout missing (apt-get install -y coreutils)"
[[ -f "$lua" ]] || die "$lua not found"
for knob in DURATION THREADS PORT HIT_CONNS RENDER_CONNS; do
    [[ "${!knob}" =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive integer, got '${!knob}'"
done
((HIT_CONNS >= THREADS && RENDER_CONNS >= THREADS)) ||
    die "wrk needs at least as many connections as threads (THREADS=$THREADS)"
for mix in $MIXES; do
    [[ "$mix" == hits || "$mix" == renders ]] || die "unknown mix '$mix' in MIXES (hits, renders)"
done
for f in "${FILES[@]}"; do
    [[ -f "$repo/fixtures/$f" ]] || die "fixture $repo/fixtures/$f missing"
done

if [[ -z "${PIXGATE_BIN:-}" ]]; then
    say "PIXGATE_BIN unset: cargo build --release"
    (cd "$repo" && cargo build --release) >&2
    PIXGATE_BIN="$repo/target/release/pixgate"
fi
[[ -x "$PIXGATE_BIN" ]] || die "PIXGATE_BIN=$PIXGATE_BIN is not executable"

tmp="$(mktemp -d)"
pixgate_pid=""
stop_pixgate() {
    local pid="$pixgate_pid" i
    pixgate_pid=""
    [[ -n "$pid" ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pixgate
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

base="http://127.0.0.1:$PORT"

port_taken() { # true if something accepts connections on 127.0.0.1:$PORT
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

# --- config and root -------------------------------------------------------------------------
mkdir -p "$tmp/root"
for f in "${FILES[@]}"; do
    cp "$repo/fixtures/$f" "$tmp/root/"
done
cat >"$tmp/pixgate.toml" <<EOF
[server]
listen = "127.0.0.1:$PORT"

[cache]
max_bytes = "256MiB"

[log]
format = "text"

[[sources]]
name = "load"
root = "root"
secure = false
EOF

# start_pixgate MIX: a fresh process, up within ~10 s or the script stops with its log.
start_pixgate() {
    local mix="$1" log="$tmp/pixgate-$1.log" i
    port_taken && die "127.0.0.1:$PORT is already in use (set PORT=...)"
    RUST_LOG=warn "$PIXGATE_BIN" serve --config "$tmp/pixgate.toml" >"$log" 2>&1 &
    pixgate_pid=$!
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$pixgate_pid" 2>/dev/null; then
            cat "$log" >&2
            die "pixgate exited during start-up (log above)"
        fi
        curl -sf -o /dev/null --max-time 1 "$base/_pixgate/health" && return 0
        sleep 0.1
    done
    cat "$log" >&2
    die "pixgate did not answer $base/_pixgate/health within 10 s (log above)"
}

x_cache() { # url -> value of X-Cache (empty if none); fails on a non-2xx status
    curl -sf --max-time 60 -o /dev/null -D - "$1" |
        tr -d '\r' | awk -F': *' 'tolower($1) == "x-cache" {print $2}'
}

metric() { # name label-filter -> value summed over matching lines of /_pixgate/metrics
    curl -sf --max-time 5 "$base/_pixgate/metrics" |
        awk -v n="$1" -v l="$2" '$1 ~ "^" n "([{]|$)" && index($1, l) {s += $NF} END {printf "%d\n", s}'
}

to_ms() { # wrk duration (850.00us, 1.23ms, 2.01s, 1.00m) -> milliseconds
    awk -v v="$1" 'BEGIN {
        u = v; sub(/^[0-9.]+/, "", u); n = substr(v, 1, length(v) - length(u)) + 0
        f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : -1
        if (v == "" || f < 0) print "?"; else printf "%.2f\n", n * f }'
}

rss_mib() { # pid field (VmHWM|VmRSS) -> MiB
    awk -v k="$2:" '$1 == k {printf "%.1f\n", $2 / 1024}' "/proc/$1/status"
}

# run_mix MIX CONNS PATHS_FILE: wrk against a fresh pixgate; appends a row to $tmp/results and
# notes to $tmp/notes.
run_mix() {
    local mix="$1" conns="$2" paths="$3" out="$tmp/wrk-$1.txt"
    local renders0 hits0 renders1 hits1 cache_mib rps xfer p50 p90 p99 status hwm rss
    renders0="$(metric pixgate_renders_total '')"
    hits0="$(metric pixgate_cache_hits_total 'derivatives')"
    say "$mix: wrk -t$THREADS -c$conns -d${DURATION}s ($(wc -l <"$paths") paths) ..."
    if ! timeout -k 5 $((DURATION + 60)) wrk -t"$THREADS" -c"$conns" -d"${DURATION}s" \
        --timeout "$WRK_TIMEOUT" --latency -s "$lua" "$base/" -- "$paths" "$THREADS" \
        >"$out" 2>&1; then
        cat "$out" >&2
        die "$mix: wrk failed (output above)"
    fi
    kill -0 "$pixgate_pid" 2>/dev/null || { cat "$tmp/pixgate-$mix.log" >&2; die "$mix: pixgate died under load"; }
    hwm="$(rss_mib "$pixgate_pid" VmHWM)"
    rss="$(rss_mib "$pixgate_pid" VmRSS)"
    renders1="$(metric pixgate_renders_total '')"
    hits1="$(metric pixgate_cache_hits_total 'derivatives')"
    cache_mib="$(metric pixgate_cache_bytes 'derivatives' | awk '{printf "%.1f", $1 / 1048576}')"

    rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
    xfer="$(awk '/^Transfer\/sec:/ {print $2}' "$out")"
    p50="$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")"
    p90="$(to_ms "$(awk '$1 == "90%" {print $2}' "$out")")"
    p99="$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
    status="$(grep '^STATUS ' "$out" || true)"
    [[ -n "$rps" && -n "$status" ]] || { cat "$out" >&2; die "$mix: could not parse wrk output (above)"; }
    # STATUS 2xx=N 503=N other=N other_codes=... sent=N errors=...
    local c2xx c503 cother codes errors
    c2xx="$(sed -E 's/.* 2xx=([0-9]+).*/\1/' <<<"$status")"
    c503="$(sed -E 's/.* 503=([0-9]+).*/\1/' <<<"$status")"
    cother="$(sed -E 's/.* other=([0-9]+).*/\1/' <<<"$status")"
    codes="$(sed -E 's/.* other_codes=([^ ]+).*/\1/' <<<"$status")"
    errors="$(sed -E 's/.* errors=([^ ]+).*/\1/' <<<"$status")"

    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mix" "$rps" "$p50" "$p90" "$p99" \
        "$c2xx" "$c503" "$cother" "$hwm" "$rss" "$xfer" "$conns" >>"$tmp/results"
    local note="- $mix: \`wrk -t$THREADS -c$conns -d${DURATION}s --timeout $WRK_TIMEOUT --latency\`"
    note+=" over $(wc -l <"$paths") paths; pixgate during the run: $((renders1 - renders0)) renders,"
    note+=" $((hits1 - hits0)) derivative-cache hits, $cache_mib MiB in the derivative cache after;"
    note+=" socket errors $errors"
    [[ "$codes" == "-" ]] || note+="; other statuses $codes"
    echo "$note" >>"$tmp/notes"
    say "$mix: $rps req/s, p50 $p50 ms, p99 $p99 ms, 2xx $c2xx, 503 $c503, other $cother, peak RSS $hwm MiB"
}

# --- hit mix ---------------------------------------------------------------------------------
hits_mix() {
    local paths="$tmp/paths-hits.txt" f v p xc bytes=0 size
    : >"$paths"
    for f in "${FILES[@]}"; do
        for v in "${HIT_VARIANTS[@]}"; do
            echo "/$f?$v" >>"$paths"
        done
    done
    start_pixgate hits
    say "hits: warming $(wc -l <"$paths") URLs"
    while read -r p; do
        xc="$(x_cache "$base$p")" || die "hits: GET $p failed"
        [[ "$xc" == "MISS" ]] || say "warning: first GET $p said X-Cache: '$xc', expected MISS"
        xc="$(x_cache "$base$p")" || die "hits: GET $p failed"
        [[ "$xc" == "HIT" ]] || die "hits: second GET $p said X-Cache: '$xc', expected HIT"
        size="$(curl -sf --max-time 10 -o /dev/null -w '%{size_download}' "$base$p")"
        bytes=$((bytes + size))
    done <"$paths"
    hit_body_avg=$((bytes / $(wc -l <"$paths")))
    run_mix hits "$HIT_CONNS" "$paths"
    stop_pixgate
}

# --- render mix ------------------------------------------------------------------------------
renders_mix() {
    local paths="$tmp/paths-renders.txt" xc f fm
    # Every (file, format, width) once, shuffled with a fixed seed so runs send the same order.
    for f in "${FILES[@]}"; do
        for fm in "${RENDER_FORMATS[@]}"; do
            echo "$f $fm"
        done
    done | awk -v lo="$RENDER_MIN_W" -v hi="$RENDER_MAX_W" 'BEGIN {srand(20241124)}
        {for (w = lo; w <= hi; w++) printf "%.9f\t/%s?w=%d&fm=%s\n", rand(), $1, w, $2}' |
        sort -k1,1 | cut -f2 >"$paths"
    start_pixgate renders
    # One render outside the mix's widths, to fail early if rendering is broken.
    xc="$(x_cache "$base/${FILES[0]}?w=$((RENDER_MIN_W - 1))&fm=webp")" ||
        die "renders: test render of ${FILES[0]} failed"
    [[ "$xc" == "MISS" ]] || say "warning: test render said X-Cache: '$xc', expected MISS"
    run_mix renders "$RENDER_CONNS" "$paths"
    stop_pixgate
}

: >"$tmp/results"
: >"$tmp/notes"
hit_body_avg=""
for mix in $MIXES; do
    "${mix}_mix"
done

# --- report ----------------------------------------------------------------------------------
cpu_model="$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
mem_gib="$(awk '/^MemTotal:/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)"
echo "## pixgate load test"
echo
echo "- machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, ${mem_gib} GiB RAM; load average before" \
    "the report: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- repo: $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown);" \
    "$("$PIXGATE_BIN" --version 2>/dev/null || echo pixgate) at \`$PIXGATE_BIN\`;" \
    "$(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}')"
echo "- pixgate and wrk share the machine over loopback, unpinned; a fresh pixgate per mix," \
    "RUST_LOG=warn (logs to a file)"
if [[ -n "$hit_body_avg" ]]; then
    echo "- hits: ${#FILES[@]} files x {$(join , "${HIT_VARIANTS[@]}")}, warmed and checked X-Cache: HIT; mean body $hit_body_avg bytes"
fi
if [[ " $MIXES " == *" renders "* ]]; then
    echo "- renders: ${#FILES[@]} files x fm={$(join , "${RENDER_FORMATS[@]}")} x w=$RENDER_MIN_W..$RENDER_MAX_W, shuffled; 503 = load shedding (bounded render queue)"
fi
echo
echo "pixgate config:"
echo
echo '```toml'
cat "$tmp/pixgate.toml"
echo '```'
echo
echo "| mix | req/s | p50 ms | p90 ms | p99 ms | 2xx | 503 | other | peak RSS MiB | RSS after MiB | transfer/s | conns |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
while IFS=$'\t' read -r mix rps p50 p90 p99 c2xx c503 cother hwm rss xfer conns; do
    echo "| $mix | $rps | $p50 | $p90 | $p99 | $c2xx | $c503 | $cother | $hwm | $rss | $xfer | $conns |"
done <"$tmp/results"
echo
cat "$tmp/notes"
