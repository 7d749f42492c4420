"""`manage.py import_posts PATH --author EMAIL`: the same import from the server's command line."""

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from blog.models import ImportJob, Post


def test_the_command_imports_with_progress_and_again_adds_nothing(pelican_tests, editor, capsys):
    export = str(pelican_tests / "content" / "wordpressexport.xml")
    call_command("import_posts", export, "--author", "EDITOR@example.com")
    out = capsys.readouterr().out
    assert "WordPress export (WXR)" in out and "9 new" in out and "left out 4 × attachment" in out
    call_command("import_posts", export, "--author", editor.email)
    assert "0 new, 0 updated, 9 unchanged" in capsys.readouterr().out
    assert Post.objects.count() == 9 and ImportJob.objects.filter(started_by=None).count() == 2
    if connection.vendor == "sqlite":  # It writes in bulk, with the consumer's connection settings.
        assert (
            f"mmap_size={settings.CONSUMER_SQLITE_MMAP_BYTES};" in connection.settings_dict["OPTIONS"]["init_command"]
        )


def test_a_dry_run_writes_nothing(pelican_tests, editor, capsys):
    call_command(
        "import_posts", str(pelican_tests / "content" / "wordpressexport.xml"), "--author", editor.email, "--dry-run"
    )
    assert "Would import: 9 new" in capsys.readouterr().out
    assert not Post.objects.exists() and not ImportJob.objects.exists()


def test_the_command_says_what_is_wrong(tmp_path, editor):
    with pytest.raises(CommandError, match="No account"):
        call_command("import_posts", str(tmp_path), "--author", "nobody@example.com")
    with pytest.raises(CommandError, match="is not a file"):
        call_command("import_posts", str(tmp_path), "--author", editor.email)
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    with pytest.raises(CommandError, match="not an export"):
        call_command("import_posts", str(bad), "--author", editor.email)
