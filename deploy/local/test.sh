#!/usr/bin/env bash
# `make test`: install what is missing, start the private PostgreSQL cluster, build (failing on any warning in our
# own code), run every test suite (unit, integration against PostgreSQL and the mock-cluster broker, end-to-end
# across processes), stop the cluster again if this script started it.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
state="$root/.concierge"
mkdir -p "$state"
cd "$root"

bash deploy/local/deps.sh

started_postgres=false
if ! bash deploy/local/postgres.sh status >/dev/null 2>&1; then started_postgres=true; fi
bash deploy/local/postgres.sh start >/dev/null
cleanup() { if $started_postgres; then bash deploy/local/postgres.sh stop >/dev/null || true; fi; }
trap cleanup EXIT

set -a
. "$state/postgres.env"
set +a
export CONCIERGE_TEST_DATABASE_URL="$DATABASE_URL"

echo "concierge: building…"
start=$(date +%s)
swift build --build-tests ${CONCIERGE_BUILD_FLAGS:-} 2>&1 | tee "$state/build.log" | grep -E '^(error|warning)|: (error|warning):|Build complete|Compiling [A-Z]' | grep -vE '\.build/checkouts/' | tail -n 40
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || { echo "concierge: build failed (see .concierge/build.log)" >&2; exit "$status"; }
if grep -E ': warning:' "$state/build.log" | grep -vE '/\.build/|/checkouts/' | grep -E '/(Shared|Services|Tests)/' >/dev/null; then
    echo "concierge: the build has warnings in our code:" >&2
    grep -E ': warning:' "$state/build.log" | grep -E '/(Shared|Services|Tests)/' | sort -u >&2
    exit 1
fi
echo "concierge: built in $(( $(date +%s) - start )) s"

export CONCIERGE_BIN_DIR
CONCIERGE_BIN_DIR=$(swift build --show-bin-path ${CONCIERGE_BUILD_FLAGS:-})
start=$(date +%s)
swift test --skip-build ${CONCIERGE_BUILD_FLAGS:-} "$@"
echo "concierge: tests ran in $(( $(date +%s) - start )) s"
