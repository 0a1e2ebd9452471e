-- Emails are stored lowercased: UNIQUE is the duplicate check, race-free across replicas.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    name          TEXT,
    created_at    INTEGER NOT NULL
);
