from django.db import migrations, models


def create_tables(apps, schema_editor):
    from dataplane.schema import apply_tables

    apply_tables(schema_editor.connection)


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="ProjectionCursor",
            fields=[
                ("name", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("last_event_id", models.BigIntegerField(default=0)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="IngestStatus",
            fields=[
                ("worker", models.CharField(max_length=128, primary_key=True, serialize=False)),
                ("started_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField()),
                ("report", models.JSONField(default=dict)),
            ],
            options={"verbose_name_plural": "ingest statuses"},
        ),
        # observation, signal and event_log: the SQL files of data-storage/sql (idempotent).
        migrations.RunPython(create_tables, migrations.RunPython.noop, elidable=False),
    ]
