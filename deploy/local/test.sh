#!/usr/bin/env bash
# `make test`: install what is missing, start the private PostgreSQL cluster, build (failing on any warning in our
# own code), run every test suite (unit, integration against PostgreSQL and the mock-cluster broker, end-to-end
# across processes), stop the cluster again if this script started it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

concierge_enter
concierge_postgres_up
# shellcheck disable=SC2086
concierge_build "everything" --strict --build-tests ${CONCIERGE_BUILD_FLAGS:-}
# shellcheck disable=SC2086
concierge_bin_dir ${CONCIERGE_BUILD_FLAGS:-}
start=$(date +%s)
swift test --skip-build ${CONCIERGE_BUILD_FLAGS:-} "$@"
echo "concierge: tests ran in $(( $(date +%s) - start )) s"
