-- Concierge: database, roles and schemas.
--
-- Creates database "concierge" and, for each of the five services, a LOGIN role of the same name
-- that owns a schema of the same name and can use nothing else:
--
--   role        schema      password taken from the environment variable
--   intake      intake      INTAKE_DB_PASSWORD
--   assignment  assignment  ASSIGNMENT_DB_PASSWORD
--   engagement  engagement  ENGAGEMENT_DB_PASSWORD
--   complaints  complaints  COMPLAINTS_DB_PASSWORD
--   scoring     scoring     SCORING_DB_PASSWORD
--
-- Each service creates its own tables (its SQL migrations) inside its schema; the role's
-- search_path points at that schema, so unqualified table names land there.
--
-- How it runs: docker-compose.yml mounts this file into /docker-entrypoint-initdb.d/ of the
-- postgres:15 image, whose entrypoint executes it with psql as the superuser, once, when the data
-- directory is empty. It uses psql meta-commands (\getenv needs psql 15 or newer), so it is not
-- plain SQL: run it by hand the same way, e.g.
--
--   INTAKE_DB_PASSWORD=... ASSIGNMENT_DB_PASSWORD=... ENGAGEMENT_DB_PASSWORD=... \
--   COMPLAINTS_DB_PASSWORD=... SCORING_DB_PASSWORD=... \
--   psql -v ON_ERROR_STOP=1 -U postgres -d postgres -f deploy/postgres/init.sql
--
-- No password is written in this file. The compose file supplies development defaults; real
-- deployments supply them from a secret store, or create the roles through the bank's DBA process
-- and use this file as the reference for the grants.

\set ON_ERROR_STOP on

-- ------------------------------------------------------------------------------------------------
-- Passwords from the environment; stop with a clear message if one is missing.
-- ------------------------------------------------------------------------------------------------
\getenv intake_password INTAKE_DB_PASSWORD
\getenv assignment_password ASSIGNMENT_DB_PASSWORD
\getenv engagement_password ENGAGEMENT_DB_PASSWORD
\getenv complaints_password COMPLAINTS_DB_PASSWORD
\getenv scoring_password SCORING_DB_PASSWORD

\if :{?intake_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'INTAKE_DB_PASSWORD is not set'; END $$;
\endif
\if :{?assignment_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'ASSIGNMENT_DB_PASSWORD is not set'; END $$;
\endif
\if :{?engagement_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'ENGAGEMENT_DB_PASSWORD is not set'; END $$;
\endif
\if :{?complaints_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'COMPLAINTS_DB_PASSWORD is not set'; END $$;
\endif
\if :{?scoring_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'SCORING_DB_PASSWORD is not set'; END $$;
\endif

-- Passwords are stored as SCRAM-SHA-256 verifiers (the PostgreSQL 15 default, stated explicitly).
SET password_encryption = 'scram-sha-256';

-- ------------------------------------------------------------------------------------------------
-- Roles (cluster-wide). Least privilege: no superuser, no role or database creation, no
-- replication, no inherited privileges.
-- ------------------------------------------------------------------------------------------------
CREATE ROLE intake     LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT PASSWORD :'intake_password';
CREATE ROLE assignment LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT PASSWORD :'assignment_password';
CREATE ROLE engagement LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT PASSWORD :'engagement_password';
CREATE ROLE complaints LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT PASSWORD :'complaints_password';
CREATE ROLE scoring    LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT PASSWORD :'scoring_password';

-- ------------------------------------------------------------------------------------------------
-- Database. Only the five service roles (and the superuser) may connect.
-- ------------------------------------------------------------------------------------------------
CREATE DATABASE concierge ENCODING 'UTF8' TEMPLATE template0;

REVOKE ALL ON DATABASE concierge FROM PUBLIC;
GRANT CONNECT ON DATABASE concierge TO intake, assignment, engagement, complaints, scoring;

-- The maintenance database is closed to the service roles as well (PUBLIC may connect to it by default).
REVOKE ALL ON DATABASE postgres FROM PUBLIC;

\connect concierge

-- Nobody but the superuser may use or create objects in "public": every service keeps its data in
-- its own schema.
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- ------------------------------------------------------------------------------------------------
-- One schema per service, owned by that service's role. A new schema grants nothing to PUBLIC;
-- the REVOKEs state that intent explicitly, so no role can read another service's tables.
-- ------------------------------------------------------------------------------------------------
CREATE SCHEMA intake AUTHORIZATION intake;
CREATE SCHEMA assignment AUTHORIZATION assignment;
CREATE SCHEMA engagement AUTHORIZATION engagement;
CREATE SCHEMA complaints AUTHORIZATION complaints;
CREATE SCHEMA scoring AUTHORIZATION scoring;

REVOKE ALL ON SCHEMA intake FROM PUBLIC;
REVOKE ALL ON SCHEMA assignment FROM PUBLIC;
REVOKE ALL ON SCHEMA engagement FROM PUBLIC;
REVOKE ALL ON SCHEMA complaints FROM PUBLIC;
REVOKE ALL ON SCHEMA scoring FROM PUBLIC;

-- Unqualified names resolve to the service's own schema (and only to it) in this database.
ALTER ROLE intake IN DATABASE concierge SET search_path = intake;
ALTER ROLE assignment IN DATABASE concierge SET search_path = assignment;
ALTER ROLE engagement IN DATABASE concierge SET search_path = engagement;
ALTER ROLE complaints IN DATABASE concierge SET search_path = complaints;
ALTER ROLE scoring IN DATABASE concierge SET search_path = scoring;
