"""Every model change has its migration: a field's validators too (the admin checks with the model's)."""

from io import StringIO

from django.core.management import call_command


def test_no_model_change_waits_for_a_migration(db):
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit as missing:
        raise AssertionError(f"a model change has no migration:\n{out.getvalue()}") from missing
