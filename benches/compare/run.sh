#!/usr/bin/env bash
# Side by side: pixgate's render pipeline against libvips (issue 6). See README.md here.
#
# Environment:
#   ROUNDS=5        interleaved rounds; each workload reports the median of its rounds
#   ITERATIONS=10   timed renders per side per round (plus one warm-up on each side)
#   CORPUS=DIR      input images (default: ../shared/corpus beside the repository)
#   PIXGATE_BIN=... use this binary instead of building target/release/pixgate
#   VIPS_ONLY=1     time libvips alone (no build, no pixgate)
#   WORKLOADS=a,b   run only these workloads (names as in the table)
#   VIPSTHUMBNAIL=... vipsthumbnail binary for the extra column (default: the one on PATH,
#                   from apt-get install libvips-tools); VIPSTHUMBNAIL=off leaves it out
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
corpus="${CORPUS:-$repo/../shared/corpus}"
[[ -d "$corpus" ]] || { echo "run.sh: no corpus at $corpus (set CORPUS=)" >&2; exit 1; }
corpus="$(cd "$corpus" && pwd)"
out="$here/out"
venv="$here/.venv"
mkdir -p "$out"

log() { echo "run.sh: $*" >&2; }

# A private venv: pyvips-binary bundles libvips itself, so nothing comes from apt and the
# libvips version is pinned by the wheel rather than by whatever the distribution ships.
if [[ ! -x "$venv/bin/python" ]]; then
    log "creating $venv"
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import pyvips' 2>/dev/null; then
    log "installing pyvips and pyvips-binary from PyPI"
    "$venv/bin/pip" install --quiet pyvips pyvips-binary
fi
py="$venv/bin/python"

args=()
if [[ "${VIPS_ONLY:-0}" == 1 ]]; then
    args+=(--vips-only)
else
    if [[ -n "${PIXGATE_BIN:-}" ]]; then
        bin="$PIXGATE_BIN"
        built=0
    else
        # nasm decides at build time whether libjpeg-turbo gets its SIMD kernels, so say
        # before a long build that the numbers will reflect the scalar fallback.
        command -v nasm >/dev/null || log "nasm is not on PATH: libjpeg-turbo builds without SIMD (apt-get install nasm, then touch the mozjpeg-sys build or rebuild)"
        log "cargo build --release (several minutes on a cold target/)"
        (cd "$repo" && cargo build --release --quiet)
        bin="$repo/target/release/pixgate"
        built=1
    fi
    [[ -x "$bin" ]] || { log "no pixgate binary at $bin"; exit 1; }
    args+=(--pixgate "$bin" --pixgate-built "$built")
fi

src="$corpus/beach-5120x2880.jpg"
[[ -f "$src" ]] || { log "missing $src (set CORPUS=)"; exit 1; }

# The progressive original and a baseline copy of the same pixels separate the cost of
# progressive decoding (no cheap shrink-on-load, whole-image coefficient buffer) from the
# rest of the pipeline. jpegtran rewrites the entropy coding only, so pixels are identical.
baseline="$out/beach-baseline.jpg"
if command -v jpegtran >/dev/null; then
    jpegtran -copy none -optimize "$src" > "$baseline"
    baseline_how="jpegtran -copy none -optimize (lossless: same pixels)"
else
    log "jpegtran not found (apt-get install libjpeg-turbo-progs for a lossless baseline copy);"
    log "re-encoding with libvips at Q=95, baseline, instead: NOT the same pixels as the original"
    "$py" - "$src" "$baseline" <<'EOF'
import sys, pyvips
pyvips.Image.new_from_file(sys.argv[1]).jpegsave(
    sys.argv[2], Q=95, interlace=False, optimize_coding=True, keep="none")
EOF
    baseline_how="libvips re-encode at Q=95, baseline (LOSSY: jpegtran was absent)"
fi

args+=(--corpus "$corpus" --baseline "$baseline" --baseline-how "$baseline_how"
       --rounds "${ROUNDS:-5}" --iterations "${ITERATIONS:-10}" --out "$out/results.json")
if [[ -n "${WORKLOADS:-}" ]]; then
    args+=(--only "$WORKLOADS")
fi

# The command-line tool, timed per process as a user runs it, is an extra column. It comes
# from the distribution, so its libvips is whatever that ships (not the wheel's version);
# this script does not install system packages, it only says how.
vipsthumbnail="${VIPSTHUMBNAIL:-vipsthumbnail}"
if [[ "$vipsthumbnail" != off && "$vipsthumbnail" != */* ]]; then
    vipsthumbnail="$(command -v "$vipsthumbnail" || true)"
fi
if [[ "$vipsthumbnail" == off ]]; then
    log "VIPSTHUMBNAIL=off: no vipsthumbnail column"
elif [[ -z "$vipsthumbnail" ]]; then
    log "vipsthumbnail not found: its column shows n/a (apt-get install libvips-tools to add it)"
elif [[ ! -x "$vipsthumbnail" ]]; then
    log "no vipsthumbnail binary at $vipsthumbnail"; exit 1
else
    args+=(--vipsthumbnail "$vipsthumbnail")
fi

# One core for both sides: libvips is told so by VIPS_CONCURRENCY and pixgate by
# --threads 1, and taskset keeps either from borrowing the second core for helper threads
# (the pixgate and vipsthumbnail children inherit the pinning).
export VIPS_CONCURRENCY=1
pin=()
if command -v taskset >/dev/null; then
    pin=(taskset -c 0)
else
    log "taskset not found: not pinned to one core (apt-get install util-linux)"
fi
exec "${pin[@]}" "$py" "$here/compare.py" "${args[@]}"
