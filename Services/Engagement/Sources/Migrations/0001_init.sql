-- Engagement: the tasks on managers' agendas.

CREATE TABLE tasks (
    task_id         uuid PRIMARY KEY,
    customer_id     text,
    manager_id      text NOT NULL,
    kind            text NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    due_at          timestamptz NOT NULL,
    due_date        date NOT NULL,
    rule_id         text NOT NULL,
    title           text NOT NULL,
    source_event_id text NOT NULL,
    visit_id        text,
    referral_id     text,
    branch_id       text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    outcome         text,
    -- One task of a kind per causing event, whichever instance handles it and however often it is redelivered.
    UNIQUE (source_event_id, kind)
);
CREATE INDEX tasks_agenda ON tasks (manager_id, due_date, due_at);
CREATE INDEX tasks_customer ON tasks (customer_id, due_at);
