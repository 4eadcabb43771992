"""event_log gets its unique key (one row per event); the data tables are applied again.

Rows an earlier version stored twice (an alert sent again after a restart) are removed first, keeping
the first of each, so the unique index can be built on an existing database. Running the SQL files
again also gives a database made before the rollups its rollup tables (every statement is idempotent).
"""

from django.db import migrations


def dedupe_and_apply(apps, schema_editor):
    from dataplane.schema import apply_tables

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT to_regclass('event_log') IS NOT NULL")
            if cursor.fetchone()[0]:
                cursor.execute("DELETE FROM event_log a USING event_log b WHERE a.id > b.id AND a.twin = b.twin "
                               "AND a.time = b.time AND a.kind = b.kind AND a.body = b.body")
        else:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_log'")
            if cursor.fetchone():
                cursor.execute("DELETE FROM event_log WHERE id NOT IN "
                               "(SELECT min(id) FROM event_log GROUP BY twin, time, kind, body)")
    apply_tables(connection)


class Migration(migrations.Migration):
    dependencies = [("dataplane", "0001_initial")]

    operations = [migrations.RunPython(dedupe_and_apply, migrations.RunPython.noop, elidable=False)]
