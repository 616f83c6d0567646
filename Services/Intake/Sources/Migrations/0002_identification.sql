-- Intake, full lobby rules: signals, card tiers, the identified-customer register (已识别优质客户信息记录表), the
-- encrypted contact phone, outlets without wealth service and queue alerts.


ALTER TABLE visits
    ADD COLUMN card_tier                 text,
    ADD COLUMN amount                    numeric(18, 2),
    ADD COLUMN ticket                    text,
    ADD COLUMN large_cash                boolean NOT NULL DEFAULT false,
    ADD COLUMN identified_by             text,
    ADD COLUMN identified_by_role        text,
    ADD COLUMN identified_at             timestamptz,
    ADD COLUMN designated_centre_id      text,
    -- AES-256-GCM (nonce ‖ ciphertext ‖ tag), bound to the visit id; the key id says which key sealed it (H-03).
    ADD COLUMN contact_phone_key_id      text,
    ADD COLUMN contact_phone_ciphertext  bytea,
    ADD COLUMN wait_alerted_at           timestamptz,
    ADD CONSTRAINT visits_contact_phone_sealed
        CHECK ((contact_phone_key_id IS NULL) = (contact_phone_ciphertext IS NULL));

-- Lead signals raised on a visit (A-05, B-02), including any that arrive before the visit itself.
CREATE TABLE visit_signals (
    event_id   text PRIMARY KEY,
    visit_id   text NOT NULL,
    branch_id  text NOT NULL,
    staff_id   text NOT NULL,
    role       text,
    signal     text NOT NULL,
    amount     numeric(18, 2),
    at         timestamptz NOT NULL,
    customer_id text,
    card_tier  text,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX visit_signals_by_visit ON visit_signals (visit_id, at);

-- The register: one row per identification (a visit is identified at most once as potential and once as VIP).
CREATE TABLE identifications (
    identification_id    uuid PRIMARY KEY,
    visit_id             text NOT NULL REFERENCES visits (visit_id),
    branch_id            text NOT NULL,
    business_date        date NOT NULL,
    customer_id          text,
    -- The customer id, or `visit/<visitId>` for an unknown walk-in.
    customer_key         text NOT NULL,
    classification       text NOT NULL CHECK (classification IN ('vip', 'potential')),
    tier                 text CHECK (tier IN ('A', 'B', 'C')),
    basis                text NOT NULL CHECK (basis IN ('aum', 'signals', 'card')),
    reasons              text[] NOT NULL,
    identified_by        text NOT NULL,
    identified_by_role   text,
    identified_at        timestamptz NOT NULL,
    referral_id          uuid,
    designated_centre_id text,
    recorded_at          timestamptz NOT NULL DEFAULT now(),
    source_event_id      text NOT NULL,
    UNIQUE (visit_id, classification)
);
CREATE INDEX identifications_by_branch_day ON identifications (branch_id, business_date, identified_at);

-- One stalled-queue alert per branch and episode; an episode starts at the later of the last visit served and
-- the oldest waiting referral (C-04).
CREATE TABLE stalled_queue_alerts (
    branch_id     text NOT NULL,
    stalled_since timestamptz NOT NULL,
    alerted_at    timestamptz NOT NULL,
    PRIMARY KEY (branch_id, stalled_since)
);

CREATE INDEX visits_served_by_branch ON visits (branch_id, business_date, served_at) WHERE served_at IS NOT NULL;
