#!/usr/bin/env bash
# The PostgreSQL anchors for `make bench` (issue 9): commit rate of the services' two kinds of transaction on the
# project's PostgreSQL, measured with pgbench, so the services' own figures have a yardstick.
#
#   walkin    pg_walkin.sql:   one visit row + one outbox row (the intake side of a walk-in)
#   consumer  pg_consumer.sql: one inbox row (ON CONFLICT DO NOTHING) + one task row (a consumer's handler)
#
# Usage:   DATABASE_URL=postgres://admin:…@127.0.0.1:55432/concierge?sslmode=disable bash bench/anchors/pg_anchor.sh
#          (`set -a; . .concierge/postgres.env; set +a` after `bash deploy/local/postgres.sh start` gives it)
# Tuning:  PG_ANCHOR_CLIENTS (8), PG_ANCHOR_JOBS (2), PG_ANCHOR_SECONDS (10) per script, or
#          PG_ANCHOR_TRANSACTIONS per client instead of a duration (pgbench -t: pgbench's -T needs SIGALRM, which a
#          parent that blocks it, such as a Swift test process, passes on blocked, and then -T never ends),
#          PG_ANCHOR_MODE (extended: a parse/bind/execute per statement, as PostgresNIO sends queries; or simple,
#          prepared).
#
# Creates the scratch schema bench_anchor (pg_schema.sql), runs each script with
# `pgbench -n -M <mode> -f <script> -c <clients> -j <jobs> -T <seconds>`, drops the schema (also on failure) and
# prints one JSON object on stdout: the walk-in figures at the top level ({tps, latency_ms_avg, clients, seconds})
# and both scripts under "walkin" and "consumer", with p50/p95/p99/max from pgbench's per-transaction log.
# Progress goes to stderr. Exits non-zero if a run fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${DATABASE_URL:?set DATABASE_URL (the admin URL, see deploy/local/postgres.sh)}"
clients=${PG_ANCHOR_CLIENTS:-8}
jobs=${PG_ANCHOR_JOBS:-2}
seconds=${PG_ANCHOR_SECONDS:-10}
mode=${PG_ANCHOR_MODE:-extended}
if [ -n "${PG_ANCHOR_TRANSACTIONS:-}" ]; then
    length=(-t "$PG_ANCHOR_TRANSACTIONS")
else
    length=(-T "$seconds")
fi

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
pgbench="${bin:+$bin/}pgbench"
psql="${bin:+$bin/}psql"
command -v "$pgbench" >/dev/null || { echo "pg_anchor: pgbench not found (apt-get install postgresql)" >&2; exit 1; }

work=$(mktemp -d)
cleanup() {
    "$psql" "$DATABASE_URL" -X -q -c "DROP SCHEMA IF EXISTS bench_anchor CASCADE" >/dev/null 2>&1 \
        || echo "pg_anchor: could not drop schema bench_anchor" >&2
    rm -rf "$work"
}
trap cleanup EXIT

sql() { PGOPTIONS="-c client_min_messages=warning" "$psql" "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "pg_anchor: creating schema bench_anchor" >&2
sql -f "$here/pg_schema.sql" >/dev/null
server=$(sql -At -c "SELECT json_build_object(
    'version', current_setting('server_version'),
    'synchronous_commit', current_setting('synchronous_commit'),
    'fsync', current_setting('fsync'),
    'wal_sync_method', current_setting('wal_sync_method'),
    'shared_buffers', current_setting('shared_buffers'))")

# run NAME SCRIPT: pgbench, then a JSON object with its figures.
run() {
    local name=$1 script=$2 out="$work/$1.out" logs="$work/$1"
    mkdir -p "$logs"
    echo "pg_anchor: $name: pgbench -M $mode -c $clients -j $jobs ${length[*]} ($(basename "$script"))" >&2
    if ! (cd "$logs" && "$pgbench" -n -M "$mode" -f "$script" -c "$clients" -j "$jobs" "${length[@]}" \
            -l --log-prefix=tx "$DATABASE_URL") >"$out" 2>"$work/$name.err"; then
        cat "$out" "$work/$name.err" >&2
        echo "pg_anchor: $name: pgbench failed" >&2
        return 1
    fi
    local tps latency transactions failed
    tps=$(sed -nE 's/^tps = ([0-9.]+) \(without initial connection time\).*/\1/p' "$out")
    latency=$(sed -nE 's/^latency average = ([0-9.]+) ms.*/\1/p' "$out")
    transactions=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$out")
    failed=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' "$out")
    [ -n "$tps" ] && [ -n "$latency" ] || { cat "$out" >&2; echo "pg_anchor: $name: cannot read pgbench's output" >&2; return 1; }
    echo "pg_anchor: $name: $tps tps, $latency ms average" >&2
    # Per-transaction log: client, transaction number, latency (µs), script, epoch s, µs. Nearest-rank percentiles.
    local percentiles
    percentiles=$(cat "$logs"/tx.* | awk '{print $3}' | sort -n | awk '
        { v[NR] = $1 }
        function at(q,  r) { r = int(q * NR); if (r < q * NR) r++; if (r < 1) r = 1; return v[r] / 1000 }
        END { if (NR == 0) { print "{}"; exit }
              printf "{\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,\"max\":%.3f}", at(0.50), at(0.95), at(0.99), v[NR] / 1000 }')
    printf '{"script":"%s","tps":%s,"latency_ms_avg":%s,"latency_ms":%s,"transactions":%s,"failed":%s}' \
        "$(basename "$script")" "$tps" "$latency" "$percentiles" "${transactions:-0}" "${failed:-0}"
}

walkin=$(run walkin "$here/pg_walkin.sql")
consumer=$(run consumer "$here/pg_consumer.sql")
walkin_tps=$(echo "$walkin" | sed -nE 's/.*"tps":([0-9.]+).*/\1/p')
walkin_latency=$(echo "$walkin" | sed -nE 's/.*"latency_ms_avg":([0-9.]+).*/\1/p')

printf '{"tool":"pg-anchor","tps":%s,"latency_ms_avg":%s,"clients":%s,"jobs":%s,"seconds":%s,"mode":"%s","server":%s,"walkin":%s,"consumer":%s}\n' \
    "$walkin_tps" "$walkin_latency" "$clients" "$jobs" "$seconds" "$mode" "$server" "$walkin" "$consumer"
