from django.db import migrations


class Migration(migrations.Migration):
    """The counters' model now lives in the site app (site 0002); the table stays."""

    dependencies = [("users", "0005_message_id"), ("site", "0002_ratelimitcounter")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="RateLimitCounter")]),
    ]
