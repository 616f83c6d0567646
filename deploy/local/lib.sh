#!/usr/bin/env bash
# What the local scripts (test.sh, fuzz.sh, reliability.sh, bench.sh) share; sourced, not run.
#
#   concierge_enter             cd to the repository, create .concierge/, install what is missing (deps.sh);
#                               sets $root and $state
#   concierge_postgres_up       start the private PostgreSQL cluster (CONCIERGE_STATE_DIR / CONCIERGE_PG_PORT choose
#                               which) unless it runs, stop it on exit if this script started it, export its
#                               settings (postgres.env) and CONCIERGE_TEST_DATABASE_URL
#   concierge_build WHAT [--strict] [swift build flags…]
#                               build, logging to .concierge/build.log and showing errors, warnings and the result;
#                               --strict fails on any warning in our own code; exits the script on failure
#   concierge_bin_dir [flags…]  export CONCIERGE_BIN_DIR, where the executables of that configuration are

concierge_enter() {
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    state="$root/.concierge"
    mkdir -p "$state"
    cd "$root"
    bash deploy/local/deps.sh
}

concierge_postgres_up() {
    local cluster="${CONCIERGE_STATE_DIR:-$state}"
    concierge_started_postgres=false
    if ! bash deploy/local/postgres.sh status >/dev/null 2>&1; then concierge_started_postgres=true; fi
    bash deploy/local/postgres.sh start >/dev/null
    trap concierge_postgres_down EXIT
    set -a
    # shellcheck disable=SC1091
    . "$cluster/postgres.env"
    set +a
    export CONCIERGE_TEST_DATABASE_URL="$DATABASE_URL"
}

concierge_postgres_down() {
    if ${concierge_started_postgres:-false}; then bash "$root/deploy/local/postgres.sh" stop >/dev/null || true; fi
}

concierge_build() {
    local what=$1
    shift
    local strict=false
    if [ "${1:-}" = "--strict" ]; then
        strict=true
        shift
    fi
    echo "concierge: building $what…"
    local start status
    start=$(date +%s)
    swift build "$@" 2>&1 | tee "$state/build.log" \
        | grep -E '^(error|warning)|: (error|warning):|Build complete|Compiling [A-Z]' | grep -vE '\.build/checkouts/' \
        | tail -n 40
    status=${PIPESTATUS[0]}
    [ "$status" -eq 0 ] || { echo "concierge: build failed (see .concierge/build.log)" >&2; exit "$status"; }
    if $strict && grep -E ': warning:' "$state/build.log" | grep -vE '/\.build/|/checkouts/' \
        | grep -E '/(Shared|Services|Tests)/' >/dev/null; then
        echo "concierge: the build has warnings in our code:" >&2
        grep -E ': warning:' "$state/build.log" | grep -E '/(Shared|Services|Tests)/' | sort -u >&2
        exit 1
    fi
    echo "concierge: built $what in $(( $(date +%s) - start )) s"
}

concierge_bin_dir() {
    export CONCIERGE_BIN_DIR
    CONCIERGE_BIN_DIR=$(swift build --show-bin-path "$@")
}
