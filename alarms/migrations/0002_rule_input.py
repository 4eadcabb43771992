"""The journal table (rule_input) for databases whose data tables predate it: the SQL files are idempotent."""

from django.db import migrations


def tables(apps, schema_editor):
    from dataplane.schema import apply_tables

    apply_tables(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("alarms", "0001_initial")]
    operations = [migrations.RunPython(tables, migrations.RunPython.noop)]
