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
