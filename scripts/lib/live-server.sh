# Sourced by the scripts that test a live pixgate (clients/test.sh, scripts/schemathesis.sh,
# scripts/playground-e2e.sh): the binary to run, a throw-away work folder, and the server
# started in it on an ephemeral port, stopped and removed on exit. Bash, `set -euo pipefail`.

# live_binary [PATH]: sets $binary to the absolute path of PATH (default
# target/debug/pixgate), or exits 1 saying how to get one.
live_binary() {
    binary=$(realpath -m "${1:-target/debug/pixgate}")
    if [[ ! -x $binary ]]; then
        echo "no pixgate binary at $binary: run cargo build first" >&2
        exit 1
    fi
}

# live_workdir: sets $work to a fresh temp folder; on exit the server (if started) is stopped
# and the folder removed.
live_workdir() {
    work=$(mktemp -d)
    server=""
    trap live_cleanup EXIT
}

live_cleanup() {
    if [[ -n $server ]]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}

# live_serve: starts `$binary serve` on $work/pixgate.toml (which listens on 127.0.0.1:0),
# logging to $work/server.log; sets $server (its pid) and $base (http://127.0.0.1:PORT) once it
# listens, or exits 1 with its log.
live_serve() {
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
}

# live_log_on_failure STATUS: shows the end of the server's log when STATUS is not 0.
live_log_on_failure() {
    if [[ $1 -ne 0 ]]; then
        echo "--- server log" >&2
        tail -n 40 "$work/server.log" >&2
    fi
}
