#!/usr/bin/env bash
# `make bench`: the benchmark (docs/performance.md). Installs what is missing, starts the project's PostgreSQL
# cluster, builds the services in release mode, runs Tests/BenchmarkTests with CONCIERGE_BENCH=1 against them (the
# development broker in its own process, the five executables), and writes .concierge/bench-report.md: the machine,
# the date, the command, the anchors and one row per phase. Not part of `make test`.
#
#   BENCH_RATES              walk-ins per second of the fixed-rate phases (default 100,200,500,1000,2000)
#   BENCH_PHASE_SECONDS      how long each fixed-rate phase publishes (default 20)
#   BENCH_FLAT_OUT_WALKINS   walk-ins of the flat-out phase (default 30000; 0 leaves it out)
#   BENCH_ANCHOR_ROUNDS      rounds of the Kafka throughput anchors, raw and wrapper taking turns (default 3)
#   arguments                passed to `swift test`
set -euo pipefail

. "$(dirname "$0")/lib.sh"

concierge_enter
concierge_postgres_up
# The services and the CLI in release mode (what is measured); the driver (a test target) in debug mode.
concierge_build "the services (release)" -c release
concierge_build "the benchmark driver" --build-tests
export CONCIERGE_BENCH_RDKAFKA_ANCHOR
CONCIERGE_BENCH_RDKAFKA_ANCHOR=$(bash bench/anchors/build.sh)
concierge_bin_dir -c release
export CONCIERGE_BENCH=1
export CONCIERGE_BENCH_OUT="$state/bench"
rm -rf "$CONCIERGE_BENCH_OUT"
mkdir -p "$CONCIERGE_BENCH_OUT"

start=$(date +%s)
set +e
swift test --skip-build --filter BenchmarkTests "$@" 2>&1 | tee "$state/bench.log"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))

report="$state/bench-report.md"
{
    echo "# Benchmark run"
    echo
    echo "$(date -u +%Y-%m-%d\ %H:%M) UTC; \`make bench\`; $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
    echo "$(free -g | awk '/Mem:/ {print $2}') GB; services in release mode; benchmark ran in ${elapsed} s; swift test exit status ${status}."
    echo "Rates ${BENCH_RATES:-100,200,500,1000,2000} walk-ins/s for ${BENCH_PHASE_SECONDS:-20} s each, then ${BENCH_FLAT_OUT_WALKINS:-30000} flat out."
    echo
    for part in anchors phases scale-out; do
        # A blank line between parts: the parts end without a newline, and two tables on consecutive lines would
        # render as one.
        if [ -f "$CONCIERGE_BENCH_OUT/$part.md" ]; then cat "$CONCIERGE_BENCH_OUT/$part.md"; echo; echo; fi
    done
} >"$report"
echo "concierge: benchmark ran in ${elapsed} s; figures in .concierge/bench-report.md"
exit "$status"
