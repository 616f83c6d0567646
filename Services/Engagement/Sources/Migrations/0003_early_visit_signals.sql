-- A teller's or lobby manager's report on a visit (visit-served, visit-left) that arrives before the referral that
-- creates the visit's walk-in tasks (C-05, C-06). branch.visits and assignment.events are separate topics, read by
-- separate partitions and possibly separate instances: under lag either may come first. The report is kept here and
-- applied, then deleted, when the referral-routed arrives. Visits that are never referred (most of them) leave their
-- reports here until the scheduler purges them, ENGAGEMENT_EARLY_SIGNAL_RETENTION_HOURS after they arrived.
-- No customer data: a visit id, a staff id, an outcome code and times.
CREATE TABLE early_visit_signals (
    visit_id    text NOT NULL,
    event_id    text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('served', 'left')),
    at          timestamptz NOT NULL,
    outcome     text,
    staff_id    text,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (visit_id, event_id)
);
CREATE INDEX early_visit_signals_received ON early_visit_signals (received_at);
