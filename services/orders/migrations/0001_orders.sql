-- Orders. Times are milliseconds since the Unix epoch.
--
-- UNIQUE (user_id, idempotency_key) is what makes POST /orders idempotent, across
-- concurrent duplicates and across replicas sharing this file: a request first claims its
-- key with a row in 'reserving' (invisible to the user), reserves stock at products, then
-- moves the row to 'pending' together with its charge in the outbox. `claimed_until`
-- bounds a claim, so the claim of a request whose replica died is swept (its stock
-- released) instead of blocking the key for ever. `fingerprint` is the canonical text of
-- the items: a key reused for different items is refused.
CREATE TABLE orders (
    id              TEXT    PRIMARY KEY,
    user_id         INTEGER NOT NULL,
    idempotency_key TEXT    NOT NULL,
    fingerprint     TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('reserving', 'pending', 'paid', 'failed')),
    total_cents     INTEGER NOT NULL DEFAULT 0 CHECK (total_cents >= 0),
    claimed_until   INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (user_id, idempotency_key)
);

CREATE INDEX orders_by_user ON orders (user_id, created_at);
CREATE INDEX orders_claims ON orders (claimed_until) WHERE status = 'reserving';

CREATE TABLE order_items (
    order_id    TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id  INTEGER NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity >= 1),
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    PRIMARY KEY (order_id, product_id)
);

-- Calls to other services that must happen because of a change here: the charge of a new
-- order (payments), the commit or release of its reservation (products). A row is written
-- in the transaction that makes the change and stays until the call is answered.
-- `next_attempt_at` is both the backoff and the lease: a worker claims due rows by pushing
-- it forward in one UPDATE ... RETURNING, so two replicas never send a row at once.
-- No foreign key to orders: a release outlives the claim it belongs to.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('charge', 'commit', 'release')),
    amount_cents    INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    UNIQUE (order_id, kind)
);

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL;
