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
-- One row per event (an alert sent again after a restart is stored once), as in data-storage/sql/events.sql.
CREATE UNIQUE INDEX IF NOT EXISTS event_log_once ON event_log (twin, time, kind, body);

-- Rollups (data-storage/sql/rollups.sql has the PostgreSQL/TimescaleDB version): per (twin, signal),
-- 1-minute and 1-hour buckets with count, sum (mean = sum / count), min, max and last (the value at
-- the latest time). Bucket and times are text in the observation's format (UTC, microseconds).
-- A row trigger keeps them: it fires only for a row really inserted (INSERT OR IGNORE skips a
-- duplicate without firing), in the same transaction, so re-sent data counts once and late data
-- corrects its bucket.
CREATE TABLE IF NOT EXISTS rollup_1m (
    twin        TEXT    NOT NULL,
    signal      TEXT    NOT NULL,
    bucket      TEXT    NOT NULL,
    value_count INTEGER NOT NULL,
    value_sum   REAL    NOT NULL,
    value_min   REAL    NOT NULL,
    value_max   REAL    NOT NULL,
    last_value  REAL    NOT NULL,
    last_time   TEXT    NOT NULL,
    PRIMARY KEY (twin, signal, bucket)
);
CREATE TABLE IF NOT EXISTS rollup_1h (
    twin        TEXT    NOT NULL,
    signal      TEXT    NOT NULL,
    bucket      TEXT    NOT NULL,
    value_count INTEGER NOT NULL,
    value_sum   REAL    NOT NULL,
    value_min   REAL    NOT NULL,
    value_max   REAL    NOT NULL,
    last_value  REAL    NOT NULL,
    last_time   TEXT    NOT NULL,
    PRIMARY KEY (twin, signal, bucket)
);
CREATE INDEX IF NOT EXISTS rollup_1m_bucket ON rollup_1m (bucket);
CREATE INDEX IF NOT EXISTS rollup_1h_bucket ON rollup_1h (bucket);

CREATE TRIGGER IF NOT EXISTS observation_rollup AFTER INSERT ON observation
BEGIN
    INSERT INTO rollup_1m (twin, signal, bucket, value_count, value_sum, value_min, value_max, last_value, last_time)
    VALUES (NEW.twin, NEW.signal, substr(NEW.time, 1, 16) || ':00.000000+00:00', 1, NEW.value, NEW.value, NEW.value,
            NEW.value, NEW.time)
    ON CONFLICT (twin, signal, bucket) DO UPDATE SET
        value_count = value_count + 1, value_sum = value_sum + excluded.value_sum,
        value_min = min(value_min, excluded.value_min), value_max = max(value_max, excluded.value_max),
        last_value = CASE WHEN excluded.last_time > last_time THEN excluded.last_value ELSE last_value END,
        last_time = max(last_time, excluded.last_time);
    INSERT INTO rollup_1h (twin, signal, bucket, value_count, value_sum, value_min, value_max, last_value, last_time)
    VALUES (NEW.twin, NEW.signal, substr(NEW.time, 1, 13) || ':00:00.000000+00:00', 1, NEW.value, NEW.value, NEW.value,
            NEW.value, NEW.time)
    ON CONFLICT (twin, signal, bucket) DO UPDATE SET
        value_count = value_count + 1, value_sum = value_sum + excluded.value_sum,
        value_min = min(value_min, excluded.value_min), value_max = max(value_max, excluded.value_max),
        last_value = CASE WHEN excluded.last_time > last_time THEN excluded.last_value ELSE last_value END,
        last_time = max(last_time, excluded.last_time);
END;

-- Observations stored before the rollups existed: counted once, when the rollups are still empty.
-- Both inserts run under that one condition (the first fills rollup_1m, so the second asks rollup_1h).
INSERT INTO rollup_1h (twin, signal, bucket, value_count, value_sum, value_min, value_max, last_value, last_time)
SELECT g.twin, g.signal, g.bucket, g.n, g.total, g.lo, g.hi,
       (SELECT o.value FROM observation o WHERE o.twin = g.twin AND o.signal = g.signal AND o.time = g.last), g.last
FROM (SELECT twin, signal, substr(time, 1, 13) || ':00:00.000000+00:00' AS bucket, count(*) AS n, sum(value) AS total,
             min(value) AS lo, max(value) AS hi, max(time) AS last
      FROM observation WHERE NOT EXISTS (SELECT 1 FROM rollup_1m) AND NOT EXISTS (SELECT 1 FROM rollup_1h)
      GROUP BY twin, signal, substr(time, 1, 13)) AS g;
INSERT INTO rollup_1m (twin, signal, bucket, value_count, value_sum, value_min, value_max, last_value, last_time)
SELECT g.twin, g.signal, g.bucket, g.n, g.total, g.lo, g.hi,
       (SELECT o.value FROM observation o WHERE o.twin = g.twin AND o.signal = g.signal AND o.time = g.last), g.last
FROM (SELECT twin, signal, substr(time, 1, 16) || ':00.000000+00:00' AS bucket, count(*) AS n, sum(value) AS total,
             min(value) AS lo, max(value) AS hi, max(time) AS last
      FROM observation WHERE NOT EXISTS (SELECT 1 FROM rollup_1m)
      GROUP BY twin, signal, substr(time, 1, 16)) AS g;

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
