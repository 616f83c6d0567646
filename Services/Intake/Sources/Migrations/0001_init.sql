-- Intake: the latest customer profile per customer (from customer.profiles) and every visit with its routing,
-- identification and referral.

CREATE TABLE customer_profiles (
    customer_id      text PRIMARY KEY,
    home_branch_id   text NOT NULL,
    aum_daily_avg    numeric(18, 2) NOT NULL,
    as_of            date NOT NULL,
    card_holder      boolean,
    segment_override text,
    source_event_id  text NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE visits (
    visit_id              text PRIMARY KEY,
    branch_id             text NOT NULL,
    customer_id           text,
    purpose               text NOT NULL,
    arrived_at            timestamptz NOT NULL,
    business_date         date NOT NULL,
    recorded_by           text NOT NULL,
    recorded_by_role      text,
    zone                  text NOT NULL,
    priority              boolean NOT NULL,
    routing_reason        text NOT NULL,
    classification        text NOT NULL CHECK (classification IN ('vip', 'potential', 'standard')),
    tier                  text CHECK (tier IN ('A', 'B', 'C')),
    basis                 text,
    reasons               text[] NOT NULL DEFAULT '{}',
    status                text NOT NULL DEFAULT 'routed'
                          CHECK (status IN ('routed', 'referral_requested', 'referral_routed', 'served', 'left')),
    referral_id           uuid UNIQUE,
    referral_requested_at timestamptz,
    referral_manager_id   text,
    referral_covering_for text,
    referral_routed_at    timestamptz,
    served_by             text,
    served_at             timestamptz,
    left_at               timestamptz,
    outcome               text,
    source_event_id       text NOT NULL
);

-- The branch queue: referrals still waiting for a manager to start serving.
CREATE INDEX visits_waiting_referrals ON visits (branch_id, referral_requested_at)
    WHERE status IN ('referral_requested', 'referral_routed');
