/// Tables every service has in its own schema: the transactional outbox and the inbox of processed event ids.
///
/// Applied before the service's own migrations, under the names `kit/…`.
enum KitMigrations {
    static let all: [Migration] = [
        Migration(
            name: "kit/0001_outbox_inbox",
            sql: """
                -- Outgoing events, written in the same transaction as the state change they announce.
                -- `txid` orders rows by transaction; the relay publishes only rows of transactions older than every
                -- transaction still running, so a row that commits late is never skipped.
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

                -- Wake the relay when a transaction that wrote outbox rows commits (NOTIFY is delivered at commit).
                CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('concierge_outbox_' || TG_TABLE_SCHEMA, '');
                    RETURN NULL;
                END
                $$;
                CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
                    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

                -- Every consumed event id, so a redelivered or duplicated event changes nothing the second time.
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
                """
        )
    ]
}
