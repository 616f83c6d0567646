#!/usr/bin/env bash
# The project's private PostgreSQL cluster under .concierge/pg, for `make run` and `make test`.
#
#   postgres.sh start   initialise on first use, start, create the database, an admin role and one role and
#                       schema per service; write .concierge/postgres.env
#   postgres.sh stop    stop the cluster
#   postgres.sh status
#
# Listens on 127.0.0.1:$CONCIERGE_PG_PORT (default 55432) with password (SCRAM) authentication, and on a Unix
# socket under .concierge/pg/run for the setup itself. As root, the server runs as the `postgres` OS user.
# Passwords are generated once and kept in .concierge/secrets.env (mode 600).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
state="$root/.concierge"
pgroot="$state/pg"
data="$pgroot/data"
run="$pgroot/run"
port="${CONCIERGE_PG_PORT:-55432}"
services=(intake assignment engagement complaints scoring)
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "postgres.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

superuser() { if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi; }

psql_admin() {
    PGOPTIONS="-c client_min_messages=warning" as_postgres "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$run" -p "$port" -U "$(superuser)" "$@"
}

is_running() {
    [ -f "$data/PG_VERSION" ] && as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

secret() {
    # The password for role $1, generated on first use.
    local name="PG_PASSWORD_${1^^}"
    touch "$state/secrets.env"
    chmod 600 "$state/secrets.env"
    if ! grep -q "^$name=" "$state/secrets.env"; then
        echo "$name=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')" >>"$state/secrets.env"
    fi
    grep "^$name=" "$state/secrets.env" | cut -d= -f2
}

start() {
    mkdir -p "$pgroot" "$run"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$pgroot" "$run"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
        echo "postgres.sh: initialising a cluster in $data"
        as_postgres "$bin/initdb" -D "$data" -U "$(superuser)" -E UTF8 --no-locale \
            --auth-local=trust --auth-host=scram-sha-256 >"$pgroot/initdb.log"
    fi
    if ! is_running; then
        as_postgres "$bin/pg_ctl" -D "$data" -l "$pgroot/postgres.log" -w -t 60 \
            -o "-p $port -k $run -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB" \
            start >/dev/null
    fi
    bootstrap
    write_env
}

bootstrap() {
    local admin_password
    admin_password=$(secret concierge)
    psql_admin -d postgres <<SQL
SELECT format('CREATE ROLE concierge LOGIN SUPERUSER PASSWORD %L', '$admin_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'concierge') \gexec
ALTER ROLE concierge PASSWORD '$admin_password';
SELECT 'CREATE DATABASE concierge OWNER concierge'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'concierge') \gexec
SQL
    for service in "${services[@]}"; do
        local password
        password=$(secret "$service")
        psql_admin -d concierge <<SQL
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', '$service', '$password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$service') \gexec
ALTER ROLE $service PASSWORD '$password';
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS $service AUTHORIZATION $service;
SQL
    done
}

write_env() {
    {
        echo "# Written by deploy/local/postgres.sh: the private PostgreSQL cluster."
        echo "DATABASE_URL=postgres://concierge:$(secret concierge)@127.0.0.1:$port/concierge?sslmode=disable"
        for service in "${services[@]}"; do
            echo "${service^^}_DATABASE_URL=postgres://$service:$(secret "$service")@127.0.0.1:$port/concierge?sslmode=disable"
        done
    } >"$state/postgres.env"
    chmod 600 "$state/postgres.env"
}

stop() {
    if is_running; then
        as_postgres "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
        echo "postgres.sh: stopped"
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) if is_running; then echo "running on 127.0.0.1:$port"; else echo "stopped"; exit 3; fi ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
