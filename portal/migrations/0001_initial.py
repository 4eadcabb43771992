from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="StreamMark",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("pruned_through", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "stream retention mark"},
        ),
    ]
