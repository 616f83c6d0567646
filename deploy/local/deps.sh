#!/usr/bin/env bash
# Installs what Concierge needs on a Debian machine when it is missing: librdkafka-dev (Kafka client library and
# its mock cluster), postgresql (the private development/test cluster), curl. Needs root or sudo to install.
set -euo pipefail

need=()
pkg-config --exists rdkafka 2>/dev/null || need+=(librdkafka-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v psql >/dev/null || need+=(postgresql-client)
command -v curl >/dev/null || need+=(curl)

if ((${#need[@]})); then
    echo "concierge: installing ${need[*]}"
    if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get install -y --no-install-recommends "${need[@]}" \
        || { "${sudo[@]}" apt-get update && "${sudo[@]}" apt-get install -y --no-install-recommends "${need[@]}"; }
fi

if ! command -v swift >/dev/null; then
    echo "concierge: a Swift 6 toolchain is required (swift not found on PATH)" >&2
    exit 1
fi
