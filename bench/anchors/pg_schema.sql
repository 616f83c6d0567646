-- Scratch schema for the PostgreSQL anchors (bench/anchors/pg_anchor.sh creates it, runs pgbench, drops it).
-- The tables copy the shape of the real ones: outbox and inbox from Shared/ServiceKit/Database/KitMigrations.swift
-- (with the NOTIFY trigger the relay listens to), visits from Services/Intake/Sources/Migrations (0001 + 0002),
-- tasks from Services/Engagement/Sources/Migrations/0001_init.sql. Indexes included: they are part of each commit.
DROP SCHEMA IF EXISTS bench_anchor CASCADE;
CREATE SCHEMA bench_anchor;
SET search_path TO bench_anchor;

CREATE TABLE outbox (
    seq         bigserial PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    topic       text NOT NULL,
    message_key text,
    event_type  text NOT NULL,
    payload     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX outbox_unsent ON outbox (txid, seq) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('concierge_outbox_' || TG_TABLE_SCHEMA, '');
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

CREATE TABLE inbox (
    event_id        text PRIMARY KEY,
    topic           text NOT NULL,
    kafka_partition integer NOT NULL,
    kafka_offset    bigint NOT NULL,
    event_type      text,
    outcome         text NOT NULL CHECK (outcome IN ('processed', 'dead_lettered')),
    processed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_processed_at ON inbox (processed_at);

CREATE TABLE visits (
    visit_id                 text PRIMARY KEY,
    branch_id                text NOT NULL,
    customer_id              text,
    purpose                  text NOT NULL,
    arrived_at               timestamptz NOT NULL,
    business_date            date NOT NULL,
    recorded_by              text NOT NULL,
    recorded_by_role         text,
    zone                     text NOT NULL,
    priority                 boolean NOT NULL,
    routing_reason           text NOT NULL,
    classification           text NOT NULL CHECK (classification IN ('vip', 'potential', 'standard')),
    tier                     text CHECK (tier IN ('A', 'B', 'C')),
    basis                    text,
    reasons                  text[] NOT NULL DEFAULT '{}',
    status                   text NOT NULL DEFAULT 'routed'
                             CHECK (status IN ('routed', 'referral_requested', 'referral_routed', 'served', 'left')),
    referral_id              uuid UNIQUE,
    referral_requested_at    timestamptz,
    referral_manager_id      text,
    referral_covering_for    text,
    referral_routed_at       timestamptz,
    served_by                text,
    served_at                timestamptz,
    left_at                  timestamptz,
    outcome                  text,
    source_event_id          text NOT NULL,
    card_tier                text,
    amount                   numeric(18, 2),
    ticket                   text,
    large_cash               boolean NOT NULL DEFAULT false,
    identified_by            text,
    identified_by_role       text,
    identified_at            timestamptz,
    designated_centre_id     text,
    contact_phone_key_id     text,
    contact_phone_ciphertext bytea,
    wait_alerted_at          timestamptz
);
CREATE INDEX visits_waiting_referrals ON visits (branch_id, referral_requested_at)
    WHERE status IN ('referral_requested', 'referral_routed');
CREATE INDEX visits_served_by_branch ON visits (branch_id, business_date, served_at) WHERE served_at IS NOT NULL;

CREATE TABLE tasks (
    task_id         uuid PRIMARY KEY,
    customer_id     text,
    manager_id      text NOT NULL,
    kind            text NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    due_at          timestamptz NOT NULL,
    due_date        date NOT NULL,
    rule_id         text NOT NULL,
    title           text NOT NULL,
    source_event_id text NOT NULL,
    visit_id        text,
    referral_id     text,
    branch_id       text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    outcome         text,
    UNIQUE (source_event_id, kind)
);
CREATE INDEX tasks_agenda ON tasks (manager_id, due_date, due_at);
CREATE INDEX tasks_customer ON tasks (customer_id, due_at);
