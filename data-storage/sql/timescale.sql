-- Observations: what the twins measure. Runs on TimescaleDB and on plain PostgreSQL
-- (without the extension `observation` stays an ordinary table with the same indexes).
-- Idempotent: applied by `manage.py init_stores`, by the database migration, and by
-- the compose/k8s database init; running it twice changes nothing.

CREATE TABLE IF NOT EXISTS signal (
    twin   TEXT NOT NULL,
    name   TEXT NOT NULL,
    unit   TEXT NOT NULL DEFAULT '',
    kind   TEXT NOT NULL DEFAULT 'measurement',
    PRIMARY KEY (twin, name)
);

CREATE TABLE IF NOT EXISTS observation (
    time    TIMESTAMPTZ      NOT NULL,
    twin    TEXT             NOT NULL,
    signal  TEXT             NOT NULL,
    value   DOUBLE PRECISION NOT NULL,
    quality TEXT             NOT NULL DEFAULT 'good'
);

-- One row per twin, signal and instant: a batch retried after an ambiguous failure
-- lands once (the writer inserts with ON CONFLICT DO NOTHING). TimescaleDB requires
-- the time column in every unique index, which this one has.
CREATE UNIQUE INDEX IF NOT EXISTS observation_twin_signal_time ON observation (twin, signal, time DESC);
CREATE INDEX IF NOT EXISTS observation_time ON observation (time DESC);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;
        PERFORM create_hypertable('observation', 'time', if_not_exists => TRUE, migrate_data => TRUE);
    END IF;
END
$$;
