-- Complaints: one case per complaint (branch) or escalation (call centre), with its timeline.

CREATE TABLE cases (
    case_id          uuid PRIMARY KEY,
    source           text NOT NULL CHECK (source IN ('branch', 'callcentre')),
    external_ref     text NOT NULL,
    customer_id      text,
    branch_id        text,
    channel          text,
    category         text NOT NULL,
    severity         text NOT NULL,
    summary          text NOT NULL,
    customer_need    text NOT NULL,
    received_at      timestamptz NOT NULL,
    received_date    date NOT NULL,
    reply_due_at     timestamptz NOT NULL,
    owner_id         text,
    level            text NOT NULL DEFAULT 'front_line',
    status           text NOT NULL CHECK (status IN ('open', 'resolved')),
    resolved_on_spot boolean NOT NULL DEFAULT false,
    resolution       text,
    resolved_at      timestamptz,
    source_event_id  text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- A redelivered or re-sent complaint (same complaintId / caseRef) never opens a second case.
    UNIQUE (source, external_ref)
);
CREATE INDEX cases_branch_status ON cases (branch_id, status, reply_due_at);

CREATE TABLE case_timeline (
    id       bigserial PRIMARY KEY,
    case_id  uuid NOT NULL REFERENCES cases (case_id),
    action   text NOT NULL,
    actor    text,
    at       timestamptz NOT NULL,
    note     text
);
CREATE INDEX case_timeline_case ON case_timeline (case_id, at, id);
