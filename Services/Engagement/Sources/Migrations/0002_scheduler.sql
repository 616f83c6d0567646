-- Engagement's full scheduler (rulebook E-03…E-12, D-05, C-05, F-05): year plans per tier, overdue timer,
-- escalation, what engagement knows of relationships, staff, contacts and complaint cases.

-- Several tasks of one kind per causing event (a year's plan has four proactive contacts): `seq` tells them apart.
ALTER TABLE tasks ADD COLUMN seq integer NOT NULL DEFAULT 0;
ALTER TABLE tasks DROP CONSTRAINT tasks_source_event_id_kind_key;
ALTER TABLE tasks ADD CONSTRAINT tasks_once_per_event UNIQUE (source_event_id, kind, seq);
-- The plan a cadence task belongs to, its role in it, and the day it was planned for before a full agenda moved it.
ALTER TABLE tasks ADD COLUMN plan_id uuid;
ALTER TABLE tasks ADD COLUMN cadence_role text;
ALTER TABLE tasks ADD COLUMN planned_date date;
-- The durable overdue timer (E-04): set once, by whichever instance claims the task first.
ALTER TABLE tasks ADD COLUMN overdue_at timestamptz;
ALTER TABLE tasks ADD COLUMN escalated_at timestamptz;
ALTER TABLE tasks ADD COLUMN escalated_to text;
ALTER TABLE tasks ADD COLUMN appointment_id text;
ALTER TABLE tasks ADD COLUMN case_id text;
CREATE INDEX tasks_due_open ON tasks (due_at) WHERE status = 'open' AND overdue_at IS NULL;
CREATE INDEX tasks_overdue_open ON tasks (due_date) WHERE status = 'open' AND escalated_at IS NULL
    AND overdue_at IS NOT NULL;
CREATE INDEX tasks_visit ON tasks (visit_id) WHERE visit_id IS NOT NULL;
CREATE INDEX tasks_plan ON tasks (plan_id) WHERE plan_id IS NOT NULL;

-- Each customer's exclusive manager and tier, from assignment's events; contacts and assets for dormancy (E-09).
CREATE TABLE customers (
    customer_id     text PRIMARY KEY,
    manager_id      text NOT NULL,
    branch_id       text NOT NULL,
    tier            text CHECK (tier IN ('A', 'B', 'C')),
    assigned_at     timestamptz NOT NULL,
    last_contact_at timestamptz,
    aum_daily_avg   numeric(20, 2),
    aum_as_of       date
);

-- A customer's maintenance plan for a year (E-03, E-05); one active plan per customer.
CREATE TABLE plans (
    plan_id         uuid PRIMARY KEY,
    customer_id     text NOT NULL,
    manager_id      text NOT NULL,
    tier            text NOT NULL CHECK (tier IN ('A', 'B', 'C')),
    starts_on       date NOT NULL,
    ends_on         date NOT NULL,
    status          text NOT NULL CHECK (status IN ('active', 'superseded', 'ended')),
    source_event_id text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX plans_one_active ON plans (customer_id) WHERE status = 'active';

-- The directory, for escalation to a team lead (E-04) and the manager's branch.
CREATE TABLE staff (
    staff_id     text PRIMARY KEY,
    branch_id    text NOT NULL,
    role         text NOT NULL,
    status       text NOT NULL,
    effective_at timestamptz NOT NULL
);

-- Complaint cases: which customer a resolved case concerns (F-05).
CREATE TABLE complaint_cases (
    case_id     text PRIMARY KEY,
    customer_id text,
    branch_id   text
);
