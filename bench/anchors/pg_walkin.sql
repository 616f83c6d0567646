-- pgbench script: the intake transaction of one walk-in (bench/anchors/pg_anchor.sh).
-- One visit row plus one outbox row (uuid id, topic, key, type, ~300-byte CloudEvent payload as bytea like the real
-- outbox, txid from pg_current_xact_id(), the statement-level NOTIFY trigger), committed together as the services do.
\set visit random(1, 9223372036854775806)
\set branch random(1, 200)
\set customer random(1, 1000000)
BEGIN;
INSERT INTO bench_anchor.visits (visit_id, branch_id, customer_id, purpose, arrived_at, business_date, recorded_by,
    recorded_by_role, zone, priority, routing_reason, classification, tier, basis, reasons, source_event_id)
VALUES ('V' || :visit, 'BR' || lpad(:branch::text, 4, '0'), 'C' || lpad(:customer::text, 8, '0'), 'wealth_consultation',
    now(), current_date, 'T' || :branch, 'teller', 'vip_lounge', true, 'aum_over_threshold', 'vip', 'A', 'aum',
    '{aum}', 'evt-' || :visit);
-- The payload is built with jsonb_build_object (about 300 bytes), not written as a JSON string literal: pgbench
-- would take ":true" inside a literal for a variable.
INSERT INTO bench_anchor.outbox (id, topic, message_key, event_type, payload)
VALUES (gen_random_uuid(), 'intake.visit.routed', 'C' || lpad(:customer::text, 8, '0'), 'concierge.intake.visit.routed',
    convert_to(jsonb_build_object('specversion', '1.0', 'type', 'concierge.intake.visit.routed', 'source', 'intake',
        'id', 'evt-' || :visit, 'time', now(),
        'data', jsonb_build_object('visitId', 'V' || :visit, 'branchId', 'BR' || lpad(:branch::text, 4, '0'),
            'customerId', 'C' || lpad(:customer::text, 8, '0'), 'zone', 'vip_lounge', 'priority', true,
            'classification', 'vip', 'tier', 'A'))::text, 'UTF8'));
END;
