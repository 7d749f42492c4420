"""
Make the fediverse actor (a handle and a key pair) of every account that
publishes and has none yet: run once when FEDERATION_ENABLED is switched on,
so authors who published before are found by their handle at once (those
who publish later get theirs when they do).

    python manage.py actors_make --dry-run    # list who would get one
    python manage.py actors_make
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from blog.federation.services import actor_ensure, handle_from
from users import roles


class Command(BaseCommand):
    help = "Give every account that publishes a fediverse actor (handle and key pair), if it has none."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List the accounts; make nothing.")

    def handle(self, *args, dry_run=False, **options) -> None:
        waiting = [
            user
            for user in get_user_model().objects.filter(is_active=True, actor__isnull=True).order_by("pk").iterator()
            if roles.may_publish(user)
        ]
        for number, user in enumerate(waiting, start=1):
            if dry_run:
                self.stdout.write(f"  would make @{handle_from(user.public_name, fallback=f'author{user.pk}')}: {user}")
                continue
            actor = actor_ensure(user=user)
            self.stdout.write(f"  [{number}/{len(waiting)}] @{actor.handle}: {user}")
        verb = "would get" if dry_run else "got"
        self.stdout.write(self.style.SUCCESS(f"{len(waiting)} account(s) {verb} an actor."))
