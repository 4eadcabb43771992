-- Rollups: per (twin, signal), 1-minute and 1-hour buckets of `observation` with count, sum
-- (mean = sum / count), min, max and last (the value at the latest time in the bucket).
-- Idempotent; runs after timescale.sql.
--
-- Named to sort after timescale.sql: the database init (docker-entrypoint-initdb.d) runs files by name.
-- With TimescaleDB, rollup_1m and rollup_1h are continuous aggregates with refresh policies,
-- real-time (materialized_only = false), so a query sees data that arrived seconds ago.
-- Without it (plain PostgreSQL) they are tables kept by a statement-level trigger on
-- `observation`: its transition table holds only the rows really inserted (a row ON CONFLICT
-- DO NOTHING skipped is not there), so a re-sent batch counts once, late data corrects its
-- bucket, and the rollup changes in the same transaction as the observations.
-- Either way the columns are the same, and so are the queries on top (dataplane/rollups.py).

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        IF to_regclass('rollup_1m') IS NULL THEN
            EXECUTE $v$
                CREATE MATERIALIZED VIEW rollup_1m WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                SELECT twin, signal, time_bucket(INTERVAL '1 minute', time) AS bucket,
                       count(*) AS value_count, sum(value) AS value_sum, min(value) AS value_min,
                       max(value) AS value_max, last(value, time) AS last_value, max(time) AS last_time
                FROM observation GROUP BY twin, signal, bucket WITH NO DATA $v$;
            PERFORM add_continuous_aggregate_policy('rollup_1m', start_offset => INTERVAL '3 days',
                end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '30 seconds', if_not_exists => TRUE);
        END IF;
        IF to_regclass('rollup_1h') IS NULL THEN
            EXECUTE $v$
                CREATE MATERIALIZED VIEW rollup_1h WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                SELECT twin, signal, time_bucket(INTERVAL '1 hour', time) AS bucket,
                       count(*) AS value_count, sum(value) AS value_sum, min(value) AS value_min,
                       max(value) AS value_max, last(value, time) AS last_value, max(time) AS last_time
                FROM observation GROUP BY twin, signal, bucket WITH NO DATA $v$;
            PERFORM add_continuous_aggregate_policy('rollup_1h', start_offset => INTERVAL '7 days',
                end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '5 minutes', if_not_exists => TRUE);
        END IF;
        RETURN;
    END IF;

    CREATE TABLE IF NOT EXISTS rollup_1m (
        twin        TEXT             NOT NULL,
        signal      TEXT             NOT NULL,
        bucket      TIMESTAMPTZ      NOT NULL,
        value_count BIGINT           NOT NULL,
        value_sum   DOUBLE PRECISION NOT NULL,
        value_min   DOUBLE PRECISION NOT NULL,
        value_max   DOUBLE PRECISION NOT NULL,
        last_value  DOUBLE PRECISION NOT NULL,
        last_time   TIMESTAMPTZ      NOT NULL,
        PRIMARY KEY (twin, signal, bucket)
    );
    CREATE TABLE IF NOT EXISTS rollup_1h (LIKE rollup_1m INCLUDING ALL);
    CREATE INDEX IF NOT EXISTS rollup_1m_bucket ON rollup_1m (bucket);
    CREATE INDEX IF NOT EXISTS rollup_1h_bucket ON rollup_1h (bucket);

    CREATE OR REPLACE FUNCTION rollup_observations() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN
        INSERT INTO rollup_1m AS r (twin, signal, bucket, value_count, value_sum, value_min, value_max,
                                    last_value, last_time)
        SELECT twin, signal, date_bin(INTERVAL '1 minute', time, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
               count(*), sum(value), min(value), max(value), (array_agg(value ORDER BY time DESC))[1], max(time)
        FROM inserted GROUP BY 1, 2, 3
        ON CONFLICT (twin, signal, bucket) DO UPDATE SET
            value_count = r.value_count + EXCLUDED.value_count, value_sum = r.value_sum + EXCLUDED.value_sum,
            value_min = LEAST(r.value_min, EXCLUDED.value_min), value_max = GREATEST(r.value_max, EXCLUDED.value_max),
            last_value = CASE WHEN EXCLUDED.last_time > r.last_time THEN EXCLUDED.last_value ELSE r.last_value END,
            last_time = GREATEST(r.last_time, EXCLUDED.last_time);
        INSERT INTO rollup_1h AS r (twin, signal, bucket, value_count, value_sum, value_min, value_max,
                                    last_value, last_time)
        SELECT twin, signal, date_bin(INTERVAL '1 hour', time, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
               count(*), sum(value), min(value), max(value), (array_agg(value ORDER BY time DESC))[1], max(time)
        FROM inserted GROUP BY 1, 2, 3
        ON CONFLICT (twin, signal, bucket) DO UPDATE SET
            value_count = r.value_count + EXCLUDED.value_count, value_sum = r.value_sum + EXCLUDED.value_sum,
            value_min = LEAST(r.value_min, EXCLUDED.value_min), value_max = GREATEST(r.value_max, EXCLUDED.value_max),
            last_value = CASE WHEN EXCLUDED.last_time > r.last_time THEN EXCLUDED.last_value ELSE r.last_value END,
            last_time = GREATEST(r.last_time, EXCLUDED.last_time);
        RETURN NULL;
    END
    $f$;

    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'observation_rollup'
                   AND tgrelid = 'observation'::regclass) THEN
        CREATE TRIGGER observation_rollup AFTER INSERT ON observation
            REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION rollup_observations();
    END IF;

    -- Observations stored before the rollups existed: counted once, when the rollups are still empty.
    -- (CREATE TRIGGER locked out concurrent inserts until this transaction commits.)
    IF NOT EXISTS (SELECT 1 FROM rollup_1m) AND NOT EXISTS (SELECT 1 FROM rollup_1h) THEN
        INSERT INTO rollup_1m (twin, signal, bucket, value_count, value_sum, value_min, value_max, last_value, last_time)
        SELECT twin, signal, date_bin(INTERVAL '1 minute', time, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
               count(*), sum(value), min(value), max(value), (array_agg(value ORDER BY time DESC))[1], max(time)
        FROM observation GROUP BY 1, 2, 3;
        INSERT INTO rollup_1h (twin, signal, bucket, value_count, value_sum, value_min, value_max, last_value, last_time)
        SELECT twin, signal, date_bin(INTERVAL '1 hour', time, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
               count(*), sum(value), min(value), max(value), (array_agg(value ORDER BY time DESC))[1], max(time)
        FROM observation GROUP BY 1, 2, 3;
    END IF;
END
$$;
