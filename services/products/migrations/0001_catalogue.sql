-- The catalogue and its stock. `stock` is what can still be reserved: a reservation
-- takes from it at once, a release gives it back, a commit keeps it taken.
CREATE TABLE products (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    created_at  INTEGER NOT NULL DEFAULT (unixepoch())
);

-- One reservation per order: order_id is the idempotency key of POST /reservations.
CREATE TABLE reservations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id   TEXT    NOT NULL UNIQUE,
    status     TEXT    NOT NULL CHECK (status IN ('reserved', 'released', 'committed')),
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

CREATE TABLE reservation_items (
    reservation_id INTEGER NOT NULL REFERENCES reservations (id),
    product_id     INTEGER NOT NULL REFERENCES products (id),
    quantity       INTEGER NOT NULL CHECK (quantity >= 1),
    PRIMARY KEY (reservation_id, product_id)
);

-- The small catalogue a fresh shop starts with.
INSERT INTO products (name, price_cents, stock) VALUES
    ('Espresso beans, 1 kg', 2490, 1000),
    ('Pour-over kettle',     4900,  250),
    ('Ceramic cup',           990, 2000),
    ('Hand grinder',         7900,  120),
    ('Paper filters, 100',    450, 5000);
