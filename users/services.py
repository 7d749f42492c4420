"""Writes with side effects for accounts: creating users, verifying them, and their mail."""
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from site.delivery import delivery_owed_not_in_flight, delivery_release_dead_claims, delivery_send
from site.mail import mail_render
from users.models import EmailVerification, User, email_normalize
from users.tokens import TokenExpired, TokenInvalid, token_matches_email, verification_token_make, verification_token_read


SIGNUP_REPEAT_QUIET = timedelta(minutes=10)


class EmailTaken(Exception):
    pass


class VerificationFailed(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason  # "invalid", "expired" or "used"


def _verification_enqueue_on_commit(verification_id):
    from users.tasks import verification_send_task

    transaction.on_commit(lambda: verification_send_task(verification_id))


def user_create(*, email, password, display_name=""):
    """Create an account and owe it a verification mail, sent by the consumer after commit."""
    user = User(email=email_normalize(email), display_name=display_name)
    # Hash before the transaction: it is IMMEDIATE, so it holds SQLite's one
    # write lock from BEGIN, and ~200 ms of hashing inside it would stall every
    # other write on the site (the consumer's included).
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            verification = EmailVerification.objects.create(user=user, email=user.email)
    except IntegrityError as exc:
        # Two signups racing on one address: the unique index lets one win.
        raise EmailTaken(user.email) from exc
    _verification_enqueue_on_commit(verification.pk)
    return user


def signup_repeat(*, email):
    """
    Someone signed up with an address that has an account. Its owner gets a
    mail instead of the form showing an error, so signup reveals nothing: a
    fresh link if the account is unverified, otherwise a note saying so.
    """
    user = User.objects.with_email(email).filter(is_active=True).first()
    if user is None:
        return
    if not user.is_verified:
        # A link sent moments ago is still good; racing double-submits of the
        # form should not each mail a new one.
        recent = timezone.now() - SIGNUP_REPEAT_QUIET
        if not user.verifications.filter(sent_at__gt=recent).exists():
            verification_request(user=user)
        return
    from users.tasks import account_exists_send_task

    transaction.on_commit(lambda: account_exists_send_task(user.pk))


def account_exists_send(*, user_id):
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    mail_render(
        template="users/email/account_exists",
        context={"user": user, "login_path": reverse("users:login")},
        to=user.email,
    ).send()


def password_reset_request(*, email):
    """
    Mail a reset link to the account with this address, if there is one. The
    caller answers the same either way; the mail goes out from the consumer.
    """
    from users.tasks import password_reset_send_task

    for user_id in User.objects.with_email(email).filter(is_active=True).values_list("pk", flat=True):
        transaction.on_commit(lambda user_id=user_id: password_reset_send_task(user_id))


def password_reset_send(*, user_id):
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    path = reverse(
        "users:password-reset-confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)},
    )
    mail_render(template="users/email/password_reset", context={"user": user, "reset_path": path}, to=user.email).send()


def verification_request(*, user):
    """Owe `user` a fresh verification mail (the "resend" button). Returns it, or None if verified."""
    if user.is_verified:
        return None
    with transaction.atomic():
        verification = EmailVerification.objects.owed().filter(user=user, email=user.email).first()
        if verification is None:
            verification = EmailVerification.objects.create(user=user, email=user.email)
    _verification_enqueue_on_commit(verification.pk)
    return verification


def verification_send(*, verification_id):
    def build(verification):
        token = verification_token_make(user=verification.user)
        return mail_render(
            template="users/email/verification",
            context={
                "user": verification.user,
                "verify_path": reverse("users:verify", kwargs={"token": token}),
            },
            to=verification.email,
        )

    return delivery_send(
        queryset=EmailVerification.objects.owed().select_related("user"),
        pk=verification_id,
        build_message=build,
    )


def verification_reconcile(*, in_flight_ids):
    """
    Re-owe what was lost and return the verification ids to enqueue again.
    Accounts made without user_create (the shell, a script) are owed a mail
    too: every recent unverified account without one gets it here.
    """
    delivery_release_dead_claims(model=EmailVerification)
    oldest = timezone.now() - timedelta(seconds=settings.VERIFICATION_MAX_AGE)
    orphans = User.objects.unverified().filter(is_active=True, date_joined__gt=oldest, verifications__isnull=True)
    EmailVerification.objects.bulk_create(
        [EmailVerification(user_id=pk, email=email) for pk, email in orphans.values_list("pk", "email")]
    )
    return delivery_owed_not_in_flight(queryset=EmailVerification.objects.owed(), in_flight_ids=in_flight_ids)


def user_verify(*, token):
    """Verify the account a link was made for. Raises VerificationFailed with a reason."""
    try:
        user_id, digest = verification_token_read(token)
    except TokenExpired as exc:
        raise VerificationFailed("expired") from exc
    except TokenInvalid as exc:
        raise VerificationFailed("invalid") from exc
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not token_matches_email(digest, user.email):
        raise VerificationFailed("invalid")
    updated = User.objects.filter(pk=user.pk, is_verified=False).update(
        is_verified=True, verified_at=timezone.now()
    )
    if not updated:
        raise VerificationFailed("used")
    user.refresh_from_db()
    return user


def user_profile_update(*, user, display_name):
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    return user


def user_mark_verified(*, user):
    """An admin vouches for the address; no mail is owed any more."""
    User.objects.filter(pk=user.pk, is_verified=False).update(is_verified=True, verified_at=timezone.now())
