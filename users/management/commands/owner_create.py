"""
Make the site's Owner with a password of its own, printed once: `make run`
calls it at every start and it acts only while the site has no superuser,
so a newcomer can log in to /admin/ without a second command. Development
sites only: a production site's log would keep the password, so there
`createsuperuser` asks for one instead.

    DJANGO_DEBUG=1 python manage.py owner_create owner@example.com
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from users.models import User
from users.services import owner_create


class Command(BaseCommand):
    help = "Create the Owner account with a random password and print it once (for a development site)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email", help="The Owner's address (the login).")

    def handle(self, *args, email: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("owner_create is for a development site (DJANGO_DEBUG=1); use createsuperuser.")
        if User.objects.filter(is_superuser=True).exists():
            return  # The site has its Owner: nothing to say at every start.
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"{email!r} is not an email address.") from exc
        password = secrets.token_urlsafe(12)
        if owner_create(email=email, password=password) is None:
            self.stdout.write(f"An account with the address {email} exists already; nothing changed.")
            return
        self.stdout.write(
            self.style.SUCCESS(f"Owner account: {email}, password: {password}")
            + " (shown once; change it on the Profile page). Log in at /accounts/login/ or /admin/."
        )
