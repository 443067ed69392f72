#!/usr/bin/env bash
# The container image's build stage (Dockerfile), runnable without Docker: the release binary
# with nasm's assembly (rav1e's AVIF encoder, libjpeg-turbo's SIMD), checked that it runs and
# has the subcommand the image's HEALTHCHECK calls, installed as OUT_DIR/pixgate.
#
#   scripts/build-release.sh [OUT_DIR]        # default: target/dist
#
# Needs a C compiler and nasm (`apt-get install -y build-essential nasm`). About 6.5 minutes
# on 2 cores (profile.release's fat LTO), which is why CI does not run it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/dist}
if ! command -v nasm >/dev/null; then
    echo "build-release.sh: nasm is needed (apt-get install -y nasm)" >&2
    exit 1
fi
# Debug info stripped, symbols kept: a panic's backtrace still names its functions.
CARGO_PROFILE_RELEASE_STRIP=debuginfo cargo build --release --locked --features nasm
mkdir -p "$out"
install -m 0755 "${CARGO_TARGET_DIR:-target}/release/pixgate" "$out/pixgate"
"$out/pixgate" --version
"$out/pixgate" health --help >/dev/null
