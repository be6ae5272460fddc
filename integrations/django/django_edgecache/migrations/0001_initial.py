from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="PendingPurge",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("tags", models.JSONField(blank=True, default=list)),
                ("prefixes", models.JSONField(blank=True, default=list)),
                ("everything", models.BooleanField(default=False)),
                ("soft", models.BooleanField(default=False)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("next_attempt_at", models.DateTimeField(db_index=True)),
                ("failed", models.BooleanField(default=False)),
                ("last_error", models.TextField(blank=True, default="")),
            ],
            options={"ordering": ["id"]},
        ),
    ]
