"""Writes with side effects for accounts: creating and verifying users, and the mail that owes them."""

from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from site.addresses import email_normalize
from site.models import SiteSettings
from site.pages import pages_changed
from site.tasks import deliveries_queue_on_commit
from site.tokens import TokenExpired, TokenInvalid, token_matches_email, verification_token_read
from users import throttles
from users.deliveries import ACCOUNT_MAIL, VERIFICATION
from users.models import AccountMail, EmailVerification, User
from users.roles import Role

SIGNUP_REPEAT_QUIET = timedelta(minutes=10)


class EmailTaken(Exception):
    pass


class RegistrationClosed(Exception):
    """Sign-up is by invitation only, or closed: nothing is created or sent."""

    def __init__(self, mode: str) -> None:
        super().__init__(mode)
        self.mode = mode


class VerificationFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid", "expired" or "used"


def registration_mode() -> str:
    """ "open", "invite" or "closed": what the Administrator set in the site settings."""
    return SiteSettings.objects.current().registration


def user_create(*, email: str, password: str, display_name: str = "", role: Role = Role.CONTRIBUTOR) -> User:
    """Create an account in `role` and owe it a verification mail, sent by the consumer after commit."""
    user = User(email=email_normalize(email), display_name=display_name)
    # Hash before the transaction: it is IMMEDIATE, so it holds SQLite's one
    # write lock from BEGIN, and ~200 ms of hashing inside it would stall every
    # other write on the site (the consumer's included).
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            user.groups.add(Group.objects.get(name=role.label))
            verification = EmailVerification.objects.create(user=user, email=user.email)
    except IntegrityError as exc:
        # Two signups racing on one address: the unique index lets one win.
        raise EmailTaken(user.email) from exc
    deliveries_queue_on_commit(kind=VERIFICATION, ids=[verification.pk])
    return user


def owner_create(*, email: str, password: str) -> User | None:
    """The site's Owner (a verified superuser), unless an account has that address; None then."""
    owner = User(email=email_normalize(email), is_staff=True, is_superuser=True, is_verified=True)
    owner.set_password(password)  # Before the transaction, as in user_create.
    try:
        with transaction.atomic():
            owner.save()
    except IntegrityError:
        return None  # The address has an account.
    return owner


def user_signup(*, email: str, password: str, display_name: str = "") -> None:
    """
    The signup form's submission. Its answer never depends on whether the
    address has an account: a new one is created (a Contributor) and owed a
    verification mail; a taken one's owner is mailed instead (signup_repeat).
    Returns nothing on purpose. Raises RegistrationClosed, before anything,
    unless registration is open.
    """
    if (mode := registration_mode()) != SiteSettings.Registration.OPEN:
        raise RegistrationClosed(mode)
    try:
        user_create(email=email, password=password, display_name=display_name)
    except EmailTaken:
        signup_repeat(email=email)


def signup_repeat(*, email: str) -> None:
    """
    Someone signed up with an address that has an account. Its owner gets a
    mail instead of the form showing an error, so signup reveals nothing. A
    verified account gets a note. An unverified one gets a link to choose its
    password, never a verification link: whoever signed up first may not own
    the mailbox, and a link would verify the account with their password.
    """
    user = User.objects.with_email(email).filter(is_active=True).first()
    if user is None:
        return
    if user.is_verified:
        account_mail_owe(user=user, kind=AccountMail.Kind.ACCOUNT_EXISTS)
    elif user.date_joined < timezone.now() - SIGNUP_REPEAT_QUIET:
        account_mail_owe(user=user, kind=AccountMail.Kind.ACCOUNT_PENDING)
    # Else the account is minutes old: a double-submitted form, whose
    # verification mail is on its way. (Anyone else can still reset the
    # password from the login page, which proves the mailbox the same way.)


def password_reset_request(*, email: str) -> None:
    """
    Mail a reset link to the account with this address, if there is one. The
    caller answers the same either way; the mail goes out from the consumer.
    """
    for user in User.objects.with_email(email).filter(is_active=True):
        account_mail_owe(user=user, kind=AccountMail.Kind.PASSWORD_RESET)


def account_mail_owe(*, user: User, kind: str) -> AccountMail:
    """Owe `user` an account mail of `kind`; the consumer sends it after commit, and the reconciler if that is lost."""
    mail = AccountMail.objects.create(user=user, kind=kind, email=user.email)
    deliveries_queue_on_commit(kind=ACCOUNT_MAIL, ids=[mail.pk])
    return mail


def verification_request(*, user: User) -> EmailVerification | None:
    """Owe `user` a fresh verification mail (the "resend" button). Returns it, or None if verified."""
    if user.is_verified:
        return None
    with transaction.atomic():
        # The account's row lock makes two resends at once take turns, so the
        # second finds the first one's mail (SQLite's IMMEDIATE transactions
        # take turns anyway; PostgreSQL's would both find none).
        User.objects.select_for_update().filter(pk=user.pk).exists()
        verification = EmailVerification.objects.owed().filter(user=user, email=user.email).first()
        if verification is None:
            verification = EmailVerification.objects.create(user=user, email=user.email)
    deliveries_queue_on_commit(kind=VERIFICATION, ids=[verification.pk])
    return verification


def verification_link_read(*, token: str) -> User:
    """The account a link was made for. Raises VerificationFailed with a reason."""
    try:
        user_id, digest = verification_token_read(token)
    except TokenExpired as exc:
        raise VerificationFailed("expired") from exc
    except TokenInvalid as exc:
        raise VerificationFailed("invalid") from exc
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not token_matches_email(digest, user.email):
        raise VerificationFailed("invalid")
    return user


def user_verify(*, token: str, by: User) -> User:
    """
    Verify the account a link was made for, for a person logged in to it: the
    link proves the mailbox, the login proves the password. A link alone, in
    another's session, or in nobody's, verifies nothing. Raises VerificationFailed.
    """
    user = verification_link_read(token=token)
    if user.pk != by.pk:
        raise VerificationFailed("other-account")
    updated = User.objects.filter(pk=user.pk, is_verified=False).update(is_verified=True, verified_at=timezone.now())
    if not updated:
        raise VerificationFailed("used")
    user.refresh_from_db()
    return user


def user_profile_update(
    *,
    user: User,
    display_name: str,
    bio: str | None = None,
    report_frequency: str | None = None,
    report_when_quiet: bool | None = None,
    review_mail: str | None = None,
) -> User:
    user.display_name = display_name
    if review_mail is not None:
        user.review_mail = review_mail
    user.bio = user.bio if bio is None else bio.strip()
    if report_frequency is not None:
        user.report_frequency = report_frequency
    if report_when_quiet is not None:
        user.report_when_quiet = report_when_quiet
    with transaction.atomic():
        # As stored, not as `user` says: a bound ModelForm has already written the new values onto it.
        shown = User.objects.filter(pk=user.pk).values_list("display_name", "bio").get()
        user.save(update_fields=["display_name", "bio", "report_frequency", "report_when_quiet", "review_mail"])
        if (user.display_name, user.bio) != shown:
            pages_changed()  # The name and bio show on the author's page and under their posts.
    return user


def user_reports_stop(*, user_id: int) -> None:
    """No more view reports (one click in the mail): reports already owed are not sent either."""
    User.objects.filter(pk=user_id).update(report_frequency=User.ReportFrequency.OFF)


def password_reset_done(*, user: User) -> None:
    """
    The person chose a password through a link mailed to the account's
    address: that proves the mailbox, so the account is verified, and every
    cool-off on it ends. Sessions of whoever held the old password end with
    it (Django ties sessions to the password hash).
    """
    user_mark_verified(user=user)
    throttles.login_unlock(email=user.email)


def user_mark_verified(*, user: User) -> None:
    """An admin vouches for the address; no mail is owed any more."""
    User.objects.filter(pk=user.pk, is_verified=False).update(is_verified=True, verified_at=timezone.now())
