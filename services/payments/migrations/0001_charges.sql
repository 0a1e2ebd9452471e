-- One charge per order: UNIQUE(order_id) is what makes POST /charges idempotent, across
-- concurrent duplicates and across replicas sharing this file.
--
-- A charge is inserted 'pending' before the processor is asked (the insert is the claim:
-- only the request that made it asks the processor), then moves once to 'succeeded' or
-- 'declined'. `claimed_at` (ms since the epoch) dates the claim, so a charge left pending
-- by a process that died mid-charge is picked up again by the background worker.
CREATE TABLE charges (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     TEXT    NOT NULL UNIQUE,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'succeeded', 'declined')),
    claimed_at   INTEGER NOT NULL,
    decided_at   INTEGER
);

-- The callbacks that tell orders each outcome. A row is written in the same transaction
-- that decides the charge, so an outcome is never decided without its callback queued,
-- and is retried until orders answers 2xx (delivered_at) or refuses it with a 4xx other
-- than 408 or 429 (rejected_at, with the reason in last_error). `next_attempt_at` (ms) is both the backoff
-- and a lease: a worker pushes it forward before sending, so two replicas do not send
-- the same callback at once.
CREATE TABLE callback_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        TEXT    NOT NULL UNIQUE,
    status          TEXT    NOT NULL CHECK (status IN ('succeeded', 'declined')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    delivered_at    INTEGER,
    rejected_at     INTEGER
);

CREATE INDEX callback_outbox_due ON callback_outbox (next_attempt_at) WHERE delivered_at IS NULL AND rejected_at IS NULL;
CREATE INDEX charges_pending ON charges (claimed_at) WHERE status = 'pending';
