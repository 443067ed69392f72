#!/usr/bin/env bash
# Builds the fuzz targets on stable Rust and runs one or all of them with libFuzzer.
#
#   fuzz/run.sh [TARGET|all] [SECONDS]      default: all, 60 seconds each, one after another
#   fuzz/run.sh --list                      prints the targets
#   fuzz/run.sh --build                     builds only
#
# Needs cargo and a C/C++ compiler, nothing else: libfuzzer-sys builds libFuzzer from source
# with cc, and the coverage instrumentation uses stable `-C` flags only (no sanitizer, so
# nightly is never needed). The flags are cargo-fuzz's for `--sanitizer none`, so this script
# and `cargo fuzz run TARGET --sanitizer none` share one build in fuzz/target.
#
# New corpus entries go to fuzz/corpus/TARGET (git-ignored; the committed seeds are read from
# fuzz/seeds/TARGET); crashes, timeouts and OOMs to fuzz/artifacts/TARGET; logs to
# fuzz/logs/TARGET.log. Exit status 1 if any target left an artifact.
#
# Environment: FUZZ_JOBS=N runs N forked workers that keep going after a crash (libFuzzer's
# -fork with -ignore_crashes/-ignore_timeouts/-ignore_ooms), for long unattended runs;
# FUZZ_ARGS adds libFuzzer options (e.g. FUZZ_ARGS=-runs=0 to replay the corpus only);
# FUZZ_NO_BUILD=1 runs the binaries already built.
set -euo pipefail

cd "$(dirname "$0")"
TARGETS=(query signature_md5 signature_hmac storage_key content_range geometry render)

case "${1:-all}" in
--list)
    printf '%s\n' "${TARGETS[@]}"
    exit 0
    ;;
--build) selected=("${TARGETS[@]}") build_only=1 ;;
all) selected=("${TARGETS[@]}") ;;
*)
    if [[ ! " ${TARGETS[*]} " == *" $1 "* ]]; then
        echo "unknown target '$1'; targets: ${TARGETS[*]}" >&2
        exit 2
    fi
    selected=("$1")
    ;;
esac
seconds="${2:-60}"

triple="$(rustc -vV | sed -n 's/^host: //p')"
# cargo-fuzz's flags, in its order, so both share the build. `--target` keeps them off build
# scripts and proc macros. Debug assertions (and with them overflow checks) are on.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing \
-Cllvm-args=-simplifycfg-branch-fold-threshold=0 -Cllvm-args=-sanitizer-coverage-stack-depth \
-Cdebug-assertions -Ccodegen-units=1 ${RUSTFLAGS:-}"
bins=()
for t in "${selected[@]}"; do bins+=(--bin "$t"); done
if [[ -z "${FUZZ_NO_BUILD:-}" ]]; then
    cargo build --manifest-path Cargo.toml --target "$triple" --release \
        --config 'profile.release.debug="line-tables-only"' "${bins[@]}"
fi
[[ -n "${build_only:-}" ]] && exit 0

# Per target: longest input, and seconds one input may take before it counts as a timeout.
limits() {
    case "$1" in
    render) echo "-max_len=65536 -timeout=10" ;;
    geometry) echo "-max_len=512 -timeout=2" ;;
    *) echo "-max_len=4096 -timeout=2" ;;
    esac
}

mkdir -p logs
found=()
for t in "${selected[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    started="logs/$t.started"
    touch "$started"
    opts=(-rss_limit_mb=2048 -max_total_time="$seconds" -print_final_stats=1
        -artifact_prefix="artifacts/$t/" $(limits "$t"))
    dict="dicts/$t.dict"
    case "$t" in
    geometry) dict=dicts/query.dict ;;
    signature_*) dict=dicts/signature.dict ;;
    esac
    [[ -f "$dict" ]] && opts+=(-dict="$dict")
    if [[ -n "${FUZZ_JOBS:-}" ]]; then
        opts+=(-fork="$FUZZ_JOBS" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    fi
    # shellcheck disable=SC2206
    opts+=(${FUZZ_ARGS:-})
    echo "== $t: ${seconds}s"
    status=0
    "target/$triple/release/$t" "${opts[@]}" "corpus/$t" "seeds/$t" >"logs/$t.log" 2>&1 ||
        status=$?
    # The final stats, or in fork mode the last status line (`#EXECS: cov: … ft: …`).
    last="$(grep -E '^#[0-9]+' "logs/$t.log" | tail -1 || true)"
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1)"
    execs="${execs:-$(grep -oE '^#[0-9]+' <<<"$last" | tr -d '#' || true)}"
    cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+' <<<"$last" || true)"
    echo "   exit $status, executions ${execs:-?}, ${cov:-no coverage line}," \
        "corpus $(ls "corpus/$t" | wc -l) files"
    new="$(find "artifacts/$t" -type f -newer "$started" | sort)"
    if [[ -n "$new" ]] || ((status != 0)); then
        found+=("$t")
        sed 's/^/   new artifact: /' <<<"$new"
        { grep -m1 -A1 "panicked at" "logs/$t.log" ||
            grep -m1 "ERROR: libFuzzer" "logs/$t.log" || true; } | sed 's/^/   /'
    fi
done

if ((${#found[@]})); then
    echo "findings in: ${found[*]} (logs in fuzz/logs/). Keep each input under" \
        "fuzz/regressions/TARGET/ and replay with: cargo test --test integration fuzz_regressions"
    exit 1
fi
echo "no findings"
