#!/usr/bin/env bash
# `make reliability`: the fault-injection suite (docs/reliability.md). Installs what is missing, starts the suite's
# own PostgreSQL cluster (case 6 crashes it, so it is never the cluster of `make run` / `make test`), builds, runs
# Tests/ReliabilityTests with CONCIERGE_RELIABILITY=1 and writes the figures to .concierge/reliability-report.md.
#
#   CONCIERGE_RELIABILITY_PG_PORT   port of the suite's cluster (default 55442); its state is .concierge/reliability-pg
#   CONCIERGE_BUILD_FLAGS           extra flags for swift build / swift test, e.g. `-c release`
#   arguments                       passed to `swift test`, e.g. `--filter ReliabilityTests/postgresCrash`
set -euo pipefail

. "$(dirname "$0")/lib.sh"

concierge_enter
# The suite's own cluster: case 6 crashes it.
export CONCIERGE_STATE_DIR="$state/reliability-pg"
export CONCIERGE_PG_PORT="${CONCIERGE_RELIABILITY_PG_PORT:-55442}"
concierge_postgres_up
# shellcheck disable=SC2086
concierge_build "everything" --build-tests ${CONCIERGE_BUILD_FLAGS:-}
# shellcheck disable=SC2086
concierge_bin_dir ${CONCIERGE_BUILD_FLAGS:-}
export CONCIERGE_RELIABILITY=1
export CONCIERGE_RELIABILITY_OUT="$state/reliability"
rm -rf "$CONCIERGE_RELIABILITY_OUT"
mkdir -p "$CONCIERGE_RELIABILITY_OUT"

start=$(date +%s)
set +e
swift test --skip-build ${CONCIERGE_BUILD_FLAGS:-} --filter ReliabilityTests "$@" 2>&1 | tee "$state/reliability.log"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))

report="$state/reliability-report.md"
{
    echo "# Reliability run"
    echo
    echo "$(date -u +%Y-%m-%d\ %H:%M) UTC; $(nproc) cores; \`make reliability\`; suite ran in ${elapsed} s; swift test exit status ${status}."
    echo
    echo "| case | fault | events in | effects expected | effects found | missing | doubled | duplicates absorbed | events republished | recovery | case took |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    for row in $(ls "$CONCIERGE_RELIABILITY_OUT"/case-*.row 2>/dev/null | sort -V); do cat "$row"; done
    echo
    for details in $(ls "$CONCIERGE_RELIABILITY_OUT"/case-*.md 2>/dev/null | sort -V); do cat "$details"; done
} >"$report"
echo "concierge: reliability suite ran in ${elapsed} s; figures in .concierge/reliability-report.md"
exit "$status"
