#!/usr/bin/env bash
# `make run`: build, start PostgreSQL and the development broker (unless DATABASE_URL / KAFKA_BROKERS are set),
# start the five services as separate processes, write .concierge/dev.env, and stop everything on Ctrl-C.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
state="$root/.concierge"
logs="$state/logs"
mkdir -p "$logs"
cd "$root"

bash deploy/local/deps.sh
echo "concierge: building (first build takes several minutes)…"
swift build ${CONCIERGE_BUILD_FLAGS:-} 2>&1 | grep -E 'error|warning: .*(Shared|Services)/|Compiling|Build' | tail -n 20
bin=$(swift build ${CONCIERGE_BUILD_FLAGS:-} --show-bin-path)

pids=()
broker_pid=""
started_postgres=false
stop_all() {
    trap - INT TERM EXIT
    echo
    echo "concierge: stopping…"
    # Services first (they finish their batch, commit offsets and flush), then the broker, then PostgreSQL.
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$broker_pid" ]; then kill -TERM "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; fi
    if $started_postgres; then bash deploy/local/postgres.sh stop || true; fi
    echo "concierge: stopped"
    exit 0
}
trap stop_all INT TERM EXIT

user_database_url="${DATABASE_URL:-}"
if [ -z "$user_database_url" ]; then
    bash deploy/local/postgres.sh start
    started_postgres=true
    set -a
    . "$state/postgres.env"
    set +a
fi

if [ -z "${KAFKA_BROKERS:-}" ]; then
    rm -f "$state/broker.addr"
    "$bin/concierge" dev-broker --brokers 3 --partitions "${KAFKA_TOPIC_PARTITIONS:-6}" \
        --address-file "$state/broker.addr" >"$logs/broker.log" 2>&1 &
    broker_pid=$!
    for _ in $(seq 1 100); do [ -s "$state/broker.addr" ] && break; sleep 0.1; done
    [ -s "$state/broker.addr" ] || { echo "concierge: the development broker did not start; see $logs/broker.log" >&2; exit 1; }
    export KAFKA_BROKERS=$(cat "$state/broker.addr")
    # The mock broker answers a fetch only when fetch.wait.max.ms expires (practice notes §4.3): keep it short.
    # Short group timeouts make a restarted service rejoin quickly.
    export KAFKA_CONSUMER_FETCH_WAIT_MAX_MS="${KAFKA_CONSUMER_FETCH_WAIT_MAX_MS:-10}"
    export KAFKA_CONSUMER_SESSION_TIMEOUT_MS="${KAFKA_CONSUMER_SESSION_TIMEOUT_MS:-6000}"
    export KAFKA_CONSUMER_HEARTBEAT_INTERVAL_MS="${KAFKA_CONSUMER_HEARTBEAT_INTERVAL_MS:-500}"
fi

# Personal data (the contact phone) is stored encrypted (rulebook H-03): a development key, generated once and kept
# with the other local secrets (mode 600). Real deployments take PII_ENCRYPTION_KEYS from their secret store.
if [ -z "${PII_ENCRYPTION_KEYS:-}" ]; then
    touch "$state/secrets.env"
    chmod 600 "$state/secrets.env"
    if ! grep -q "^PII_ENCRYPTION_KEYS=" "$state/secrets.env"; then
        echo "PII_ENCRYPTION_KEYS=dev-1:$(head -c 32 /dev/urandom | base64 -w0)" >>"$state/secrets.env"
    fi
    export PII_ENCRYPTION_KEYS="$(grep "^PII_ENCRYPTION_KEYS=" "$state/secrets.env" | cut -d= -f2-)"
fi

# The HTTP API checks bearer tokens (rulebook H-09): a development signing key, generated once like the one above.
# Real deployments share the identity provider's key ring through AUTH_JWT_KEYS.
if [ -z "${AUTH_JWT_KEYS:-}" ]; then
    touch "$state/secrets.env"
    chmod 600 "$state/secrets.env"
    if ! grep -q "^AUTH_JWT_KEYS=" "$state/secrets.env"; then
        echo "AUTH_JWT_KEYS=dev-jwt-1:$(head -c 32 /dev/urandom | base64 -w0)" >>"$state/secrets.env"
    fi
    export AUTH_JWT_KEYS="$(grep "^AUTH_JWT_KEYS=" "$state/secrets.env" | cut -d= -f2-)"
fi

# Each service runs under a small supervisor, as Kubernetes or systemd would run it: a service that exits on its
# own is started again after 2 s. A service exits with status 75 when database work stalls (StallWatchdog,
# docs/reliability.md) and with 1 when it fails; its log keeps every run. Status 2 (a configuration error) is
# not retried: starting again would fail the same way.
supervise() {
    local service=$1 port=$2 child status
    trap 'kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
    : >"$logs/$service.log"
    while true; do
        HTTP_PORT="$port" HTTP_HOST=127.0.0.1 "$bin/$service" >>"$logs/$service.log" 2>&1 &
        child=$!
        status=0
        wait "$child" || status=$?
        if [ "$status" -eq 2 ]; then
            echo "concierge: $service has a configuration error (see $logs/$service.log); not restarting it" >&2
            exit 2
        fi
        echo "concierge: $service exited with status $status; starting it again in 2 s (see $logs/$service.log)" >&2
        sleep 2
    done
}

declare -A ports=([intake]=8081 [assignment]=8082 [engagement]=8083 [complaints]=8084 [scoring]=8085)
for service in intake assignment engagement complaints scoring; do
    supervise "$service" "${ports[$service]}" &
    pids+=($!)
done

{
    echo "# Written by make run. Load with: set -a; . .concierge/dev.env; set +a"
    echo "KAFKA_BROKERS=$KAFKA_BROKERS"
    echo "DATABASE_URL=${user_database_url:-$DATABASE_URL}"
    echo "AUTH_JWT_KEYS=$AUTH_JWT_KEYS"
    for service in intake assignment engagement complaints scoring; do
        echo "${service^^}_URL=http://127.0.0.1:${ports[$service]}"
    done
} >"$state/dev.env"
chmod 600 "$state/dev.env"

echo "concierge: waiting for the services to be ready…"
for service in intake assignment engagement complaints scoring; do
    for _ in $(seq 1 240); do
        curl -fsS "http://127.0.0.1:${ports[$service]}/health/ready" >/dev/null 2>&1 && break
        sleep 0.5
    done
    curl -fsS "http://127.0.0.1:${ports[$service]}/health/ready" >/dev/null 2>&1 \
        || echo "concierge: $service is not ready yet; see $logs/$service.log" >&2
done

cat <<BANNER

  Concierge is running.
    Kafka brokers   $KAFKA_BROKERS  $([ -s "$state/broker.addr" ] && echo "(development broker: in memory)")
    PostgreSQL      $(echo "${user_database_url:-$DATABASE_URL}" | sed -E 's#(://[^:]+):[^@]*@#\1:***@#')
    intake          http://127.0.0.1:8081      assignment  http://127.0.0.1:8082
    engagement      http://127.0.0.1:8083      complaints  http://127.0.0.1:8084
    scoring         http://127.0.0.1:8085
    settings        .concierge/dev.env         logs        .concierge/logs/

  Try it (another terminal):
    set -a; . .concierge/dev.env; set +a
    $bin/concierge seed demo
    TOKEN=\$($bin/concierge token --role operations --staff OPS1)
    curl -s -H "Authorization: Bearer \$TOKEN" \$ENGAGEMENT_URL/managers/WM00101/agenda

  Ctrl-C stops everything.
BANNER

# Exit (and stop the rest) if the broker dies or a service cannot be started at all.
wait -n "${pids[@]}" ${broker_pid:+"$broker_pid"} || true
echo "concierge: a process exited for good; see $logs/" >&2
