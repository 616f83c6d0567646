-- pgbench script: the consumer-side transaction of one event (bench/anchors/pg_anchor.sh).
-- The inbox row (ON CONFLICT DO NOTHING RETURNING 1, as Shared/ServiceKit/Consumer/Inbox.swift writes it) plus one
-- follow-up task row, committed together as a service's handler transaction does.
\set event random(1, 9223372036854775806)
\set branch random(1, 200)
\set customer random(1, 1000000)
\set partition random(0, 5)
\set offset :event % 100000000
BEGIN;
INSERT INTO bench_anchor.inbox (event_id, topic, kafka_partition, kafka_offset, event_type, outcome)
VALUES ('evt-' || :event, 'intake.visit.routed', :partition, :offset, 'concierge.intake.visit.routed',
    'processed')
ON CONFLICT (event_id) DO NOTHING
RETURNING 1;
INSERT INTO bench_anchor.tasks (task_id, customer_id, manager_id, kind, due_at, due_date, rule_id, title,
    source_event_id, visit_id, branch_id)
VALUES (gen_random_uuid(), 'C' || lpad(:customer::text, 8, '0'), 'WM' || lpad(:branch::text, 5, '0'), 'walk_in_follow_up',
    now() + interval '1 day', current_date + 1, 'BENCH', 'Follow up the walk-in visit', 'evt-' || :event,
    'V' || :event, 'BR' || lpad(:branch::text, 4, '0'));
END;
