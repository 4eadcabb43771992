-- The same tables for the embedded default (SQLite), so `make run` can store and chart
-- data with no server. Applied by the dataplane migration on SQLite only.

CREATE TABLE IF NOT EXISTS signal (
    twin TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'measurement',
    PRIMARY KEY (twin, name)
);

CREATE TABLE IF NOT EXISTS observation (
    time    TEXT NOT NULL,   -- ISO 8601 UTC, microseconds: sorts as text
    twin    TEXT NOT NULL,
    signal  TEXT NOT NULL,
    value   REAL NOT NULL,
    quality TEXT NOT NULL DEFAULT 'good'
);
CREATE UNIQUE INDEX IF NOT EXISTS observation_twin_signal_time ON observation (twin, signal, time DESC);
CREATE INDEX IF NOT EXISTS observation_time ON observation (time DESC);

CREATE TABLE IF NOT EXISTS event_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    time     TEXT NOT NULL,
    twin     TEXT NOT NULL,
    severity TEXT NOT NULL DEFAULT 'info'
             CHECK (severity IN ('debug', 'info', 'warning', 'critical')),
    kind     TEXT NOT NULL DEFAULT 'alert',
    body     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS event_log_twin_time ON event_log (twin, time DESC);
CREATE INDEX IF NOT EXISTS event_log_severity_time ON event_log (severity, time DESC);

-- The alarm evaluator's journal (see data-storage/sql/events.sql).
CREATE TABLE IF NOT EXISTS rule_input (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    time   TEXT NOT NULL,
    twin   TEXT NOT NULL,
    signal TEXT NOT NULL DEFAULT '',
    value  REAL,
    kind   TEXT NOT NULL DEFAULT 'obs',
    body   TEXT
);
