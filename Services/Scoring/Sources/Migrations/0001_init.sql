-- Scoring: the lobby's daily statistics per branch and business day (rulebook C-10).

CREATE TABLE branch_daily (
    branch_id                  text NOT NULL,
    business_date              date NOT NULL,
    vips_identified_lobby      integer NOT NULL DEFAULT 0,
    vips_identified_cash       integer NOT NULL DEFAULT 0,
    vips_identified_noncash    integer NOT NULL DEFAULT 0,
    vips_identified_officer    integer NOT NULL DEFAULT 0,
    vips_identified_other      integer NOT NULL DEFAULT 0,
    potential_identified       integer NOT NULL DEFAULT 0,
    complaints_received        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (branch_id, business_date)
);

CREATE TABLE manager_daily (
    branch_id     text NOT NULL,
    business_date date NOT NULL,
    manager_id    text NOT NULL,
    vips_received integer NOT NULL DEFAULT 0,
    PRIMARY KEY (branch_id, business_date, manager_id)
);
