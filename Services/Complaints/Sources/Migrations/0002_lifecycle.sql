-- The full case lifecycle (rulebook F-01…F-07, A-13): owners, actions, the escalation ladder on durable timers,
-- pre-breach warnings, hotspots; what complaints knows of staff and customers' managers.

ALTER TABLE cases DROP CONSTRAINT cases_status_check;
ALTER TABLE cases ADD CONSTRAINT cases_status_check
    CHECK (status IN ('open', 'acknowledged', 'replied', 'resolved'));
-- Who is informed besides the owner (a branch complaint's centre head, F-03).
ALTER TABLE cases ADD COLUMN informed_id text;
ALTER TABLE cases ADD COLUMN first_line_attempted boolean;
ALTER TABLE cases ADD COLUMN acknowledged_at timestamptz;
ALTER TABLE cases ADD COLUMN replied_at timestamptz;
ALTER TABLE cases ADD COLUMN reply text;
-- Reopening starts a new reply cycle: its own deadline, warning and breach.
ALTER TABLE cases ADD COLUMN cycle integer NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN cycle_started_at timestamptz;
ALTER TABLE cases ADD COLUMN warned_cycle integer;
ALTER TABLE cases ADD COLUMN breached_cycle integer;
ALTER TABLE cases ADD COLUMN ever_breached boolean NOT NULL DEFAULT false;
ALTER TABLE cases ADD COLUMN reopened_count integer NOT NULL DEFAULT 0;
UPDATE cases SET cycle_started_at = received_at;
CREATE INDEX cases_timers ON cases (reply_due_at) WHERE status IN ('open', 'acknowledged');
CREATE INDEX cases_hotspot ON cases (branch_id, category, received_at);

-- Each level of the ladder at most once per case, whichever instance and however often the timer runs.
CREATE TABLE case_escalations (
    case_id    uuid NOT NULL REFERENCES cases (case_id),
    level      text NOT NULL,
    reason     text NOT NULL,
    at         timestamptz NOT NULL,
    PRIMARY KEY (case_id, level)
);

CREATE TABLE staff (
    staff_id     text PRIMARY KEY,
    branch_id    text NOT NULL,
    role         text NOT NULL,
    status       text NOT NULL,
    effective_at timestamptz NOT NULL
);

-- Each customer's exclusive manager, from assignment's events (F-04: a call-centre case goes to them).
CREATE TABLE customer_managers (
    customer_id text PRIMARY KEY,
    manager_id  text NOT NULL,
    branch_id   text NOT NULL,
    at          timestamptz NOT NULL
);

-- A hotspot is announced once per branch and category while its window lasts (A-13).
CREATE TABLE hotspots (
    hotspot_id   uuid PRIMARY KEY,
    branch_id    text NOT NULL,
    category     text NOT NULL,
    window_start timestamptz NOT NULL,
    detected_at  timestamptz NOT NULL,
    case_count   integer NOT NULL
);
CREATE INDEX hotspots_branch_category ON hotspots (branch_id, category, detected_at);
