from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from site.delivery import Delivery, DeliveryQuerySet


def email_normalize(email):
    """One address, one account: compare and store addresses in lower case."""
    return (email or "").strip().lower()


class UserQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(is_verified=True)

    def unverified(self):
        return self.filter(is_verified=False)

    def with_email(self, email):
        return self.filter(email=email_normalize(email))


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=email_normalize(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("is_verified", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email=email_normalize(email))


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", max_length=254, unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    is_verified = models.BooleanField(
        default=False, help_text="Whether the user has followed the link in the verification mail."
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Whether the user can log into the admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]
        constraints = [
            # The manager stores lower case already; the index makes sure an
            # import or raw write cannot add a second account in other case.
            models.UniqueConstraint(Lower("email"), name="users_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = email_normalize(self.email)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("blog:author-detail", kwargs={"pk": self.pk})

    @property
    def public_name(self):
        return self.display_name or self.email.split("@")[0]


class EmailVerificationQuerySet(DeliveryQuerySet):
    def owed(self):
        """Mails still to send: the account waits for it and the link would still work."""
        oldest = timezone.now() - timedelta(seconds=settings.VERIFICATION_MAX_AGE)
        return self.undelivered().filter(
            user__is_verified=False, user__is_active=True, created_at__gt=oldest
        )


class EmailVerification(Delivery):
    """One verification mail owed to a user (at signup, or when they ask again)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verifications")
    email = models.EmailField(help_text="The address the mail goes to.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = EmailVerificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"verification mail to {self.email} ({self.delivery_state})"

    def get_absolute_url(self):
        return reverse("admin:users_emailverification_change", args=[self.pk])


class RateLimitCounter(models.Model):
    """
    Hits on one key (e.g. "signup:ip:203.0.113.9") in one fixed time window.

    Kept in the database so every gunicorn worker counts against the same
    limit; a per-process cache would multiply it by the number of workers.
    """

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-window_start"]
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="users_ratelimit_key_window_unique")]

    def __str__(self):
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H:%M}: {self.hits}"

    def get_absolute_url(self):
        return reverse("admin:users_ratelimitcounter_change", args=[self.pk])
