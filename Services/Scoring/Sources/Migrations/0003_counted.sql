-- C-10 counters count each visit's identification and each referral once, by their natural ids, even when an
-- event is republished under a new event id (the inbox only knows event ids).
CREATE TABLE counted (
    kind       text NOT NULL,
    natural_id text NOT NULL,
    PRIMARY KEY (kind, natural_id)
);
