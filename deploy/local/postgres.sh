#!/usr/bin/env bash
# The project's private PostgreSQL cluster under .concierge/pg, for `make run` and `make test`.
#
#   postgres.sh start   initialise on first use, start, create the database, an admin role and one role and
#                       schema per service; write .concierge/postgres.env
#   postgres.sh stop    stop the cluster
#   postgres.sh crash   stop it the way a crash would (`pg_ctl stop -m immediate`: no checkpoint, recovery from
#                       the WAL at the next start); for the reliability suite (docs/reliability.md)
#   postgres.sh status
#
# Listens on 127.0.0.1:$CONCIERGE_PG_PORT (default 55432) with password (SCRAM) authentication, and on a Unix
# socket under .concierge/pg/run for the setup itself. As root, the server runs as the `postgres` OS user.
# Passwords are generated once and kept in .concierge/secrets.env (mode 600).
#
# TLS: the server offers TLS with a certificate issued by a local CA, both generated once with openssl under
# .concierge/pg/tls (keys mode 600). Clients may keep sslmode=disable, or verify the server with
# sslmode=verify-full&sslrootcert=.concierge/pg/tls/ca.crt (CONCIERGE_PG_SSL_ROOT_CERT in postgres.env); the
# certificate names localhost and 127.0.0.1. See docs/security.md.
#
# Roles: `concierge` is the admin (superuser, for tests and tools); each service's role may connect to database
# `concierge` only, owns its own schema and has no privilege anywhere else (docs/security.md).
#
# CONCIERGE_STATE_DIR (default .concierge) keeps all of the above somewhere else: with its own CONCIERGE_PG_PORT
# that is a second, separate cluster (the reliability suite crashes its own, never the one of `make run`/`make test`).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
state="${CONCIERGE_STATE_DIR:-$root/.concierge}"
pgroot="$state/pg"
data="$pgroot/data"
run="$pgroot/run"
tls="$pgroot/tls"
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
    issued=false
    certificate
    if ! is_running; then
        as_postgres "$bin/pg_ctl" -D "$data" -l "$pgroot/postgres.log" -w -t 60 \
            -o "-p $port -k $run -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB" \
            start >/dev/null
    fi
    enable_tls
    bootstrap
    write_env
}

certificate() {
    # A local CA and a server certificate it issued for localhost and 127.0.0.1, made once and renewed when the
    # server certificate expires within 30 days. Sets issued=true when it (re)issued the server certificate.
    mkdir -p "$tls"
    if [ -f "$tls/server.crt" ] && [ -f "$tls/server.key" ] && [ -f "$tls/ca.crt" ] \
        && openssl x509 -checkend 2592000 -noout -in "$tls/server.crt" >/dev/null 2>&1; then
        return 0
    fi
    echo "postgres.sh: issuing a TLS certificate for the cluster in $tls"
    if [ ! -f "$tls/ca.crt" ] || [ ! -f "$tls/ca.key" ]; then
        (umask 077 && openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 \
            -days 3650 -subj "/CN=Concierge local PostgreSQL CA" -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null)
    fi
    (umask 077 && openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 \
        -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null)
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "extendedKeyUsage=serverAuth" \
        "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" >"$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial -sha256 \
        -days 825 -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
    rm -f "$tls/server.csr" "$tls/server.ext"
    chmod 600 "$tls/ca.key" "$tls/server.key"
    chmod 644 "$tls/ca.crt" "$tls/server.crt"
    # The server refuses a key that others can read or that belongs to someone else.
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$tls"; fi
    issued=true
}

enable_tls() {
    # ssl=on with the certificate above (paths relative to the data directory, so the checkout may move). Password
    # authentication is unchanged, and connections without TLS are still accepted (sslmode=disable keeps working).
    local current
    current=$(psql_admin -d postgres -tA -c "SELECT current_setting('ssl') || ' ' || current_setting('ssl_cert_file')")
    if [ "$current" = "on ../tls/server.crt" ] && [ "$issued" != true ]; then return; fi
    psql_admin -d postgres <<SQL
ALTER SYSTEM SET ssl_cert_file = '../tls/server.crt';
ALTER SYSTEM SET ssl_key_file = '../tls/server.key';
ALTER SYSTEM SET ssl_min_protocol_version = 'TLSv1.2';
ALTER SYSTEM SET ssl = on;
SELECT pg_reload_conf() \g /dev/null
SQL
    # The postmaster applies the reload asynchronously; new sessions see it once it has.
    for _ in $(seq 1 50); do
        [ "$(psql_admin -d postgres -tA -c "SHOW ssl")" = on ] && return
        sleep 0.1
    done
    echo "postgres.sh: TLS did not come on; see $pgroot/postgres.log" >&2
    exit 1
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
-- Only the roles granted CONNECT below (and superusers) may connect to concierge, and nobody may make temporary
-- tables there; the maintenance database is closed to the service roles too.
REVOKE ALL ON DATABASE concierge FROM PUBLIC;
REVOKE ALL ON DATABASE postgres FROM PUBLIC;
SQL
    for service in "${services[@]}"; do
        local password
        password=$(secret "$service")
        # The same grants as deploy/postgres/init.sql: a least-privilege login role that owns its schema and can use
        # nothing else (Tests/ServicesTests/DataProtectionRoleTests.swift proves it).
        psql_admin -d concierge <<SQL
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', '$service', '$password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$service') \gexec
ALTER ROLE $service LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD '$password';
GRANT CONNECT ON DATABASE concierge TO $service;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS $service AUTHORIZATION $service;
ALTER SCHEMA $service OWNER TO $service;
REVOKE ALL ON SCHEMA $service FROM PUBLIC;
ALTER ROLE $service IN DATABASE concierge SET search_path = $service;
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
        echo "# The CA that issued the server's certificate: use sslmode=verify-full&sslrootcert=<this> to verify it."
        echo "CONCIERGE_PG_SSL_ROOT_CERT=$tls/ca.crt"
    } >"$state/postgres.env"
    chmod 600 "$state/postgres.env"
}

stop() {
    if is_running; then
        as_postgres "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
        echo "postgres.sh: stopped"
    fi
}

crash() {
    if is_running; then
        as_postgres "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null
        echo "postgres.sh: stopped immediately (crash)"
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    crash) crash ;;
    status) if is_running; then echo "running on 127.0.0.1:$port"; else echo "stopped"; exit 3; fi ;;
    *) echo "usage: $0 start|stop|crash|status" >&2; exit 2 ;;
esac
