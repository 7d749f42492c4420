from __future__ import annotations

from datetime import datetime, timedelta
from typing import Self

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, Group, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from site.addresses import email_normalize
from site.delivery import Delivery, DeliveryQuerySet
from site.text import single_line_validate
from users.roles import GROUP_ROLES, Role, role_of

BIO_MAX_LENGTH = 500


def verification_cutoff(now: datetime | None = None) -> datetime:
    """Links made before this moment have expired, so no mail carrying one is owed."""
    return (now or timezone.now()) - timedelta(seconds=settings.VERIFICATION_MAX_AGE)


class UserQuerySet(models.QuerySet):
    def verified(self) -> UserQuerySet:
        return self.filter(is_verified=True)

    def unverified(self) -> UserQuerySet:
        return self.filter(is_verified=False)

    def awaiting_verification(self) -> UserQuerySet:
        """Active, unverified accounts young enough for a verification link to still work."""
        return self.unverified().filter(is_active=True, date_joined__gt=verification_cutoff())

    def with_email(self, email: str) -> UserQuerySet:
        return self.filter(email=email_normalize(email))


# Subclassed, not assigned: migrations must find the manager by its own name.
class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=email_normalize(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, role: Role | None = None, **extra_fields) -> User:
        """An account; with `role`, in that role's group (an Administrator is staff too)."""
        role = Role(role) if role else None
        extra_fields.setdefault("is_staff", role in (Role.ADMINISTRATOR, Role.OWNER))
        extra_fields.setdefault("is_superuser", role is Role.OWNER)
        user = self._create_user(email, password, **extra_fields)
        if role in GROUP_ROLES:
            user.groups.add(Group.objects.get(name=role.label))
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("is_verified", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email: str) -> User:
        return self.get(email=email_normalize(email))


class User(AbstractBaseUser, PermissionsMixin):
    class ReviewMail(models.TextChoices):
        EACH = "each", "A mail for each post submitted"
        DAILY = "daily", "One mail a day listing what waits"
        OFF = "off", "No mail"

    class ReportFrequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly, on Mondays, for the seven days before"
        OFF = "off", "Off"

    email = models.EmailField("email address", max_length=254, unique=True)
    # One line: it goes into mail headers (a subject, a List-Id), where a line break cannot be.
    display_name = models.CharField(max_length=80, blank=True, validators=[single_line_validate])
    bio = models.TextField(
        max_length=BIO_MAX_LENGTH, blank=True, default="", db_default="", help_text="Shown on your author page."
    )
    report_frequency = models.CharField(
        "view report",
        max_length=10,
        choices=ReportFrequency.choices,
        default=ReportFrequency.DAILY,
        db_default=ReportFrequency.DAILY,
        help_text="How often you get a mail with the reads of your posts.",
    )
    report_when_quiet = models.BooleanField(
        "also when nobody read anything",
        default=False,
        db_default=False,
        help_text="Without this, a day or week without reads sends no report.",
    )
    is_verified = models.BooleanField(
        default=False, help_text="Whether the user has followed the link in the verification mail."
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Whether the user can log into the admin.")
    is_active = models.BooleanField(
        default=True,
        help_text="Off: the account cannot log in, and everything it published is hidden from every public place.",
    )
    suspended_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when an Editor or Administrator suspended the account."
    )
    review_mail = models.CharField(
        "review requests by mail",
        max_length=10,
        choices=ReviewMail.choices,
        default=ReviewMail.EACH,
        db_default=ReviewMail.EACH,
        help_text="For Editors: how posts submitted for review reach you.",
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]
        permissions = [
            ("invite_user", "Can invite people to write"),
            ("suspend_user", "Can suspend and reactivate writers"),
            ("change_role", "Can change the role of others"),
        ]
        constraints = [
            # The manager stores lower case already; the index makes sure an
            # import or raw write cannot add a second account in other case.
            models.UniqueConstraint(Lower("email"), name="users_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        self.email = email_normalize(self.email)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("blog:author-detail", kwargs={"pk": self.pk})

    @property
    def role(self) -> str:
        """The role's name ("" for an account without one): users.roles.role_of decides."""
        found = role_of(self)
        return found.label if found else ""

    @property
    def public_name(self) -> str:
        # Never any part of the address: it is how the person is reached.
        return self.display_name or f"Author {self.pk}"


class AccountDeliveryQuerySet(DeliveryQuerySet):
    def owed_since(self, oldest: datetime) -> Self:
        """
        Mail to an account still to send: undelivered, made after `oldest` (a
        link in it would still work), to an active account whose address is
        still the one the mail was made for (a changed address voids it).
        """
        return self.undelivered().filter(user__is_active=True, created_at__gt=oldest, email=models.F("user__email"))


class EmailVerificationQuerySet(AccountDeliveryQuerySet):
    def owed(self) -> Self:
        """Verification mails still to send: owed, and the account still waits for verification."""
        return self.owed_since(verification_cutoff()).filter(user__is_verified=False)


class EmailVerification(Delivery):
    """One verification mail owed to a user (at signup, or when they ask again)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verifications")
    email = models.EmailField(help_text="The address the mail goes to.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = EmailVerificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"verification mail to {self.email} ({self.delivery_state})"


class AccountMailQuerySet(AccountDeliveryQuerySet):
    def owed(self) -> Self:
        """Account mails still to send: owed while a reset link would still work (PASSWORD_RESET_TIMEOUT)."""
        return self.owed_since(timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT))


class AccountMail(Delivery):
    """
    An account mail other than verification, owed like every other mail so a
    consumer's death loses none: a password reset link, "this address has an
    account already", or "choose the password of your pending account".
    """

    class Kind(models.TextChoices):
        PASSWORD_RESET = "password_reset", "password reset"
        ACCOUNT_EXISTS = "account_exists", "account exists"
        ACCOUNT_PENDING = "account_pending", "choose your password"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_mails")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    email = models.EmailField(help_text="The address the mail goes to.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AccountMailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} mail to {self.email} ({self.delivery_state})"


# An invitation link works this long.
INVITATION_DAYS = 7


class InvitationQuerySet(DeliveryQuerySet):
    def open(self) -> Self:
        """Neither accepted, revoked nor expired: its link still works."""
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            created_at__gt=timezone.now() - timedelta(days=INVITATION_DAYS),
        )

    def owed(self) -> Self:
        """The invitation mail, still to send while the invitation is open and its sender still active."""
        return self.undelivered().open().filter(invited_by__is_active=True)


class Invitation(Delivery):
    """
    An Editor or Administrator asks an address to write here, in a role: the
    mail is owed like any account mail, and its link works once, for
    INVITATION_DAYS, unless revoked first.
    """

    email = models.EmailField(help_text="The address invited (and the mail's).")
    role = models.CharField(max_length=20, choices=[(role.value, role.label) for role in GROUP_ROLES])
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_taken"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation of {self.email} as {self.get_role_display()} ({self.state})"

    @property
    def expires_at(self) -> datetime:
        return self.created_at + timedelta(days=INVITATION_DAYS)

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"
