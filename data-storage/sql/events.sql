-- Events and alerts the twins raise. Idempotent, like timescale.sql.

CREATE TABLE IF NOT EXISTS event_log (
    id       BIGSERIAL   PRIMARY KEY,
    time     TIMESTAMPTZ NOT NULL DEFAULT now(),
    twin     TEXT        NOT NULL,
    severity TEXT        NOT NULL DEFAULT 'info'
             CHECK (severity IN ('debug', 'info', 'warning', 'critical')),
    kind     TEXT        NOT NULL DEFAULT 'alert',
    body     JSONB       NOT NULL DEFAULT '{}'::jsonb
);

-- "The latest events of a twin" is the query the portal and the API ask.
CREATE INDEX IF NOT EXISTS event_log_twin_time ON event_log (twin, time DESC);
CREATE INDEX IF NOT EXISTS event_log_severity_time ON event_log (severity, time DESC);
-- One row per event: an alert the broker sends again (spooled, then the ingest killed before its
-- acknowledgement) is the same twin, time, kind and body, and the writer's ON CONFLICT DO NOTHING
-- stores it once, as the observation key does for observations.
CREATE UNIQUE INDEX IF NOT EXISTS event_log_once ON event_log (twin, time, kind, md5(body::text));

-- The alarm evaluator's journal (docs/alarms.md): every new observation and alert, written by the SQL
-- lane in the same transaction as the observation itself, read in id order by the evaluator that owns
-- the twin's slot and deleted in the transaction that commits the rule state it produced.
CREATE TABLE IF NOT EXISTS rule_input (
    id     BIGSERIAL        PRIMARY KEY,
    time   TIMESTAMPTZ      NOT NULL,
    twin   TEXT             NOT NULL,
    signal TEXT             NOT NULL DEFAULT '',
    value  DOUBLE PRECISION,
    kind   TEXT             NOT NULL DEFAULT 'obs',
    body   JSONB
);
