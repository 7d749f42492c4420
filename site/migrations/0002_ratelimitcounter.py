from django.db import migrations, models


class Migration(migrations.Migration):
    """
    The rate-limit counters move from the users app to the site app, which
    blog's forms can use too. The table keeps its name, so nothing in the
    database changes (and a release still running users' model reads it).
    """

    dependencies = [("site", "0001_initial"), ("users", "0005_message_id")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RateLimitCounter",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=200)),
                        ("window_start", models.DateTimeField()),
                        ("hits", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "users_ratelimitcounter",
                        "ordering": ["-window_start"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("key", "window_start"), name="users_ratelimit_key_window_unique"
                            )
                        ],
                    },
                ),
            ]
        ),
    ]
