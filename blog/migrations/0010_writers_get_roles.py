"""
Roles arrive: nobody who wrote for the site loses the right to publish.
Every account with a published or scheduled post becomes an Author, every
other account a Contributor; superusers are Owners and need no group. The
groups' permissions are set after every migrate (users.roles.roles_sync).
"""

from django.conf import settings
from django.db import migrations

# The role groups' names, as users.roles says them (a migration keeps its own copy).
CONTRIBUTOR, AUTHOR, EDITOR, ADMINISTRATOR = "Contributor", "Author", "Editor", "Administrator"


def give_roles(apps, schema_editor):
    db = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Post = apps.get_model("blog", "Post")
    groups = {
        name: Group.objects.using(db).get_or_create(name=name)[0]
        for name in (CONTRIBUTOR, AUTHOR, EDITOR, ADMINISTRATOR)
    }
    writers = set(Post.objects.using(db).filter(published_at__isnull=False).values_list("author_id", flat=True))
    has_role = set(User.objects.using(db).filter(groups__name__in=list(groups)).values_list("pk", flat=True))
    for pk in User.objects.using(db).filter(is_superuser=False).exclude(pk__in=has_role).values_list("pk", flat=True):
        groups[AUTHOR if pk in writers else CONTRIBUTOR].user_set.add(pk)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("blog", "0009_review"),
        ("users", "0008_roles"),
    ]

    operations = [migrations.RunPython(give_roles, migrations.RunPython.noop)]
