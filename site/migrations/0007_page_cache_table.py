from django.core.management import call_command
from django.db import migrations


def page_cache_table(apps, schema_editor) -> None:
    # The page cache's table when settings keep pages in the database (past
    # one box, site/settings.py PAGE_CACHE); nothing otherwise. Made again
    # by `manage.py createcachetable` after switching to it.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("site", "0006_sitesettings"),
    ]

    operations = [migrations.RunPython(page_cache_table, migrations.RunPython.noop, elidable=True)]
