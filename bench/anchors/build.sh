#!/usr/bin/env bash
# Compiles the raw librdkafka anchor (rdkafka_anchor.c) into .build/bench/rdkafka-anchor. Exits non-zero on failure.
# Needs a C compiler and librdkafka-dev (deploy/local/deps.sh installs it).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/.build/bench/rdkafka-anchor"
mkdir -p "$(dirname "$out")"
cc -O2 -Wall -Wextra -o "$out" "$root/bench/anchors/rdkafka_anchor.c" -lrdkafka -lpthread
echo "$out"
