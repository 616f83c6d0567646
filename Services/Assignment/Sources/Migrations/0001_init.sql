-- Assignment: the staff directory (from staff.directory), each VIP's one exclusive relationship manager
-- (rulebook D-01: the primary key makes a second owner impossible), the history of owners, and referrals.

CREATE TABLE staff (
    staff_id          text PRIMARY KEY,
    branch_id         text NOT NULL,
    role              text NOT NULL,
    grade             text,
    status            text NOT NULL,
    effective_at      timestamptz NOT NULL,
    covering_staff_id text,
    source_event_id   text NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_branch_role ON staff (branch_id, role, status);

CREATE TABLE relationships (
    customer_id  text PRIMARY KEY,
    manager_id   text NOT NULL,
    branch_id    text NOT NULL,
    tier         text CHECK (tier IN ('A', 'B', 'C')),
    service_team text[] NOT NULL,
    reason       text NOT NULL,
    assigned_at  timestamptz NOT NULL
);
CREATE INDEX relationships_manager ON relationships (manager_id);

CREATE TABLE relationship_history (
    id                  bigserial PRIMARY KEY,
    customer_id         text NOT NULL,
    manager_id          text NOT NULL,
    previous_manager_id text,
    branch_id           text NOT NULL,
    reason              text NOT NULL,
    started_at          timestamptz NOT NULL,
    ended_at            timestamptz
);
CREATE INDEX relationship_history_customer ON relationship_history (customer_id, started_at);

CREATE TABLE referrals (
    referral_id  text PRIMARY KEY,
    visit_id     text NOT NULL,
    customer_id  text,
    branch_id    text NOT NULL,
    tier         text,
    status       text NOT NULL CHECK (status IN ('routed', 'unassigned')),
    manager_id   text,
    covering_for text,
    requested_at timestamptz NOT NULL,
    routed_at    timestamptz
);
