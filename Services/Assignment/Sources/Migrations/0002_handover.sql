-- Assignment's full policy (rulebook D-01…D-12): removal bans, held customers, handovers, transfers with the
-- customer file, notes that survive owners, tiers from profiles.

-- D-07: a removal bars the manager until this instant, whatever HR says later; D-03: ties go to whoever was
-- assigned a customer longest ago.
ALTER TABLE staff ADD COLUMN banned_until timestamptz;
ALTER TABLE staff ADD COLUMN last_assigned_at timestamptz;
UPDATE staff s SET last_assigned_at = r.last FROM (
    SELECT manager_id, max(assigned_at) AS last FROM relationships GROUP BY manager_id
) r WHERE r.manager_id = s.staff_id;

-- D-01: a customer with no eligible manager is `held` (by the centre head, or by nobody when the directory has no
-- centre head) until a manager is free; never ownerless and never forgotten. `departed_*` remember the departure a
-- held customer still needs a handover for (D-05).
ALTER TABLE relationships ADD COLUMN state text NOT NULL DEFAULT 'owned' CHECK (state IN ('owned', 'held'));
ALTER TABLE relationships ALTER COLUMN manager_id DROP NOT NULL;
ALTER TABLE relationships ADD CONSTRAINT relationships_owner CHECK (state = 'held' OR manager_id IS NOT NULL);
ALTER TABLE relationships ADD COLUMN departed_manager_id text;
ALTER TABLE relationships ADD COLUMN departed_reason text;
ALTER TABLE relationships ADD COLUMN departed_effective_at timestamptz;
CREATE INDEX relationships_held ON relationships (branch_id) WHERE state = 'held';

ALTER TABLE relationship_history ALTER COLUMN manager_id DROP NOT NULL;
ALTER TABLE relationship_history ADD COLUMN state text NOT NULL DEFAULT 'owned';
CREATE INDEX relationship_history_open ON relationship_history (customer_id) WHERE ended_at IS NULL;

-- D-12: notes each owner (or whoever served for them) left, kept with the owner's period.
CREATE TABLE relationship_notes (
    id          bigserial PRIMARY KEY,
    customer_id text NOT NULL,
    history_id  bigint NOT NULL REFERENCES relationship_history (id),
    author_id   text NOT NULL,
    text        text NOT NULL,
    written_at  timestamptz NOT NULL
);
CREATE INDEX relationship_notes_customer ON relationship_notes (customer_id, written_at);

-- D-05: one handover per departure and customer; completed by the new manager's first direct contact.
CREATE TABLE handovers (
    handover_id          uuid PRIMARY KEY,
    customer_id          text NOT NULL,
    from_manager_id      text NOT NULL,
    to_manager_id        text NOT NULL,
    reason               text NOT NULL,
    effective_at         timestamptz NOT NULL,
    first_contact_due_at timestamptz NOT NULL,
    started_at           timestamptz NOT NULL,
    status               text NOT NULL CHECK (status IN ('open', 'completed', 'superseded')),
    completed_at         timestamptz,
    completed_by         text
);
CREATE UNIQUE INDEX handovers_one_open ON handovers (customer_id) WHERE status = 'open';

-- D-08: marketing → wealth transfers, with the customer file as handed over. The contact is sealed (H-03).
CREATE TABLE transfers (
    transfer_id          text PRIMARY KEY,
    customer_id          text NOT NULL,
    marketing_manager_id text NOT NULL,
    wealth_manager_id    text NOT NULL,
    contact_key_id       text NOT NULL,
    contact_sealed       bytea NOT NULL,
    needs                text NOT NULL,
    risk_profile         text NOT NULL,
    notes                text NOT NULL,
    transferred_at       timestamptz NOT NULL
);
CREATE INDEX transfers_customer ON transfers (customer_id, transferred_at);

-- B-03: each customer's tier from their latest profile (`asOf`), for relationships and transfers. `basis`:
-- `assets` (B-03 thresholds), `override` (segmentOverride; a null tier clears), `below_vip` (assets under the VIP
-- threshold and no override: says nothing about the tier).
CREATE TABLE customer_tiers (
    customer_id     text PRIMARY KEY,
    tier            text CHECK (tier IN ('A', 'B', 'C')),
    basis           text NOT NULL CHECK (basis IN ('assets', 'override', 'below_vip')),
    as_of           date NOT NULL,
    source_event_id text NOT NULL
);
