#!/usr/bin/env bash
# `make fuzz`: the hostile-input fuzzer at full size. Feeds FUZZ_INPUTS (default 100,000) random and mutated
# contract events to each of the five services through its real per-record path against PostgreSQL, checks that
# every bad one is dead-lettered once with a reason and the good ones around them are processed in order, prints a
# table per service; then the cross-process check against the five executables. Seed: FUZZ_SEED (default fixed).
# The output is kept in .concierge/fuzz.log. Figures of the last full run: docs/reliability.md, "Hostile input".
set -euo pipefail

. "$(dirname "$0")/lib.sh"

concierge_enter
concierge_postgres_up
export FUZZ_INPUTS="${FUZZ_INPUTS:-100000}"
# shellcheck disable=SC2086
concierge_build "everything" --build-tests ${CONCIERGE_BUILD_FLAGS:-}
# shellcheck disable=SC2086
concierge_bin_dir ${CONCIERGE_BUILD_FLAGS:-}
echo "concierge: fuzzing with $FUZZ_INPUTS inputs per service (seed ${FUZZ_SEED:-default})…"
start=$(date +%s)
: > "$state/fuzz.log"
# One process per service, so that a crash in one (it takes the test process down) leaves the others' figures.
failed=()
for suite in 'FuzzTests/generator' 'FuzzTests/intake' 'FuzzTests/assignment' 'FuzzTests/engagement' \
    'FuzzTests/complaints' 'FuzzTests/scoring' 'FuzzStackTests'; do
    if ! swift test --skip-build ${CONCIERGE_BUILD_FLAGS:-} --filter "$suite" "$@" 2>&1 | tee -a "$state/fuzz.log"; then
        failed+=("$suite")
    fi
done
echo "concierge: fuzzing ran in $(( $(date +%s) - start )) s (output in .concierge/fuzz.log)"
grep -E '^fuzz ' "$state/fuzz.log" || true
if [ "${#failed[@]}" -gt 0 ]; then
    echo "concierge: failed: ${failed[*]}" >&2
    exit 1
fi
