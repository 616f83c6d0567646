-- Scoring: the facts every figure is derived from (issue 7). Each table holds what the consumed events said,
-- keyed by the event's own natural id, so a figure computed from them does not depend on the order in which the
-- topics were read: replaying every topic from the start into an empty schema gives the same figures.

-- C-10 publication bookkeeping: `version` counts changes, `published_version` the version last announced.
ALTER TABLE branch_daily
    ADD COLUMN version integer NOT NULL DEFAULT 0,
    ADD COLUMN published_version integer NOT NULL DEFAULT 0,
    ADD COLUMN publications integer NOT NULL DEFAULT 0;
ALTER TABLE manager_daily ADD COLUMN potentials_received integer NOT NULL DEFAULT 0;

-- The HR directory (A-15 staffing, scorecard peers).
CREATE TABLE staff (
    staff_id     text PRIMARY KEY,
    branch_id    text NOT NULL,
    role         text NOT NULL,
    status       text NOT NULL,
    effective_at timestamptz NOT NULL
);

-- The latest profile of each customer (B-03 tier, G-09 financials).
CREATE TABLE customers (
    customer_id            text PRIMARY KEY,
    home_branch_id         text NOT NULL,
    aum_daily_avg          numeric(20, 2) NOT NULL,
    as_of                  date NOT NULL,
    tier                   text CHECK (tier IN ('A', 'B', 'C')),
    tier_basis             text,
    card_holder            boolean,
    derivatives_experience boolean,
    financials             jsonb,
    source_event_id        text NOT NULL
);
CREATE INDEX customers_branch ON customers (home_branch_id);

-- What each profile said about derivatives experience, by its date (H-04 item 7 is judged as of the sale).
CREATE TABLE profile_history (
    customer_id            text NOT NULL,
    as_of                  date NOT NULL,
    derivatives_experience boolean,
    PRIMARY KEY (customer_id, as_of)
);

-- Every sale (G-01 simulated profit, G-05 contribution, A-07 cross-sell, H-04 checks).
CREATE TABLE sales (
    sale_id               text PRIMARY KEY,
    customer_id           text NOT NULL,
    manager_id            text,
    product_type          text NOT NULL,
    amount                numeric(20, 2) NOT NULL,
    deposit_profit        numeric(20, 2) NOT NULL DEFAULT 0,
    wealth_profit         numeric(20, 2) NOT NULL DEFAULT 0,
    fee_income            numeric(20, 2) NOT NULL DEFAULT 0,
    sold_at               timestamptz NOT NULL,
    sold_date             date NOT NULL,
    risk_assessed_at      timestamptz,
    risk_signed_in_person boolean,
    risk_level            text
);
CREATE INDEX sales_customer ON sales (customer_id, sold_date);
CREATE INDEX sales_manager ON sales (manager_id, sold_date);

-- H-04 findings per sale and check; a finding withdrawn by a later profile stays, marked `withdrawn`.
CREATE TABLE compliance_findings (
    sale_id     text NOT NULL,
    check_name  text NOT NULL,
    customer_id text NOT NULL,
    manager_id  text,
    sold_date   date NOT NULL,
    status      text NOT NULL CHECK (status IN ('raised', 'withdrawn')),
    detail      text NOT NULL,
    PRIMARY KEY (sale_id, check_name)
);
CREATE INDEX compliance_manager ON compliance_findings (manager_id, sold_date);

-- Every logged contact (E-03 cadence, E-03/G-06 daily norms).
CREATE TABLE contacts (
    activity_id  text PRIMARY KEY,
    customer_id  text NOT NULL,
    manager_id   text NOT NULL,
    kind         text NOT NULL,
    proactive    boolean NOT NULL,
    contacted_at timestamptz NOT NULL,
    contact_date date NOT NULL
);
CREATE INDEX contacts_manager ON contacts (manager_id, contact_date);
CREATE INDEX contacts_customer ON contacts (customer_id, contact_date);

-- Engagement's tasks (tasks done on time). Completion may be read before scheduling (different keys), so every
-- column but the id is optional.
CREATE TABLE tasks (
    task_id           text PRIMARY KEY,
    customer_id       text,
    manager_id        text,
    reassigned_at     timestamptz,
    kind              text,
    due_at            timestamptz,
    due_date          date,
    completed_at      timestamptz,
    completed_on_time boolean
);
CREATE INDEX tasks_manager ON tasks (manager_id, due_date);

-- Who owned each customer from when (manager-assigned); the owner at an instant is the latest row at or before it.
CREATE TABLE ownership (
    customer_id text NOT NULL,
    manager_id  text NOT NULL,
    branch_id   text NOT NULL,
    since       timestamptz NOT NULL,
    event_id    text NOT NULL,
    PRIMARY KEY (customer_id, since, event_id)
);
CREATE INDEX ownership_manager ON ownership (manager_id);

-- Complaint cases (complaints about a manager's customers; the call centre's first-line rate, G-07).
CREATE TABLE cases (
    case_id       text PRIMARY KEY,
    source        text,
    customer_id   text,
    branch_id     text,
    received_at   timestamptz,
    received_date date,
    escalated     boolean NOT NULL DEFAULT false,
    resolved_at   timestamptz
);
CREATE INDEX cases_branch ON cases (branch_id, received_date);
CREATE INDEX cases_customer ON cases (customer_id);

-- G-02 qualitative assessments (0–100 per item); the latest recorded for a manager and month counts.
CREATE TABLE assessments (
    assessment_id     text PRIMARY KEY,
    staff_id          text NOT NULL,
    month             text NOT NULL,
    assessed_by       text NOT NULL,
    self_development  integer NOT NULL,
    marketing_ability integer NOT NULL,
    learning_ability  integer NOT NULL,
    target_completion integer NOT NULL,
    compliance        integer NOT NULL,
    service_quality   integer NOT NULL,
    comment           text,
    recorded_at       timestamptz NOT NULL
);
CREATE INDEX assessments_staff ON assessments (staff_id, month, recorded_at);

-- What each published scorecard said (a later revision is published only when the figures changed).
CREATE TABLE scorecard_publications (
    staff_id     text NOT NULL,
    month        text NOT NULL,
    revision     integer NOT NULL,
    fingerprint  text NOT NULL,
    published_at timestamptz NOT NULL,
    PRIMARY KEY (staff_id, month)
);
