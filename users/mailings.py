"""
Account mail, on the consumer's side: render and send verification, reset and
"you already have an account" mails, and reconcile what is owed. Called by
users/tasks.py; never imports it, so services can enqueue tasks without a
circle.
"""

from collections.abc import Collection

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.db.models import F
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from site.claims import claims_release_dead
from site.mail import mail_render
from site.outbox import SendResult, delivery_send, owed_ids_not_in_flight
from users.models import AccountMail, EmailVerification, User
from users.tokens import verification_token_make


def verification_send(*, verification_id: int) -> SendResult:
    def build(verification: EmailVerification) -> EmailMessage:
        token = verification_token_make(user_id=verification.user_id, email=verification.email)
        return mail_render(
            template="users/email/verification",
            context={"user": verification.user, "verify_path": reverse("users:verify", kwargs={"token": token})},
            to=verification.email,
        )

    return delivery_send(
        queryset=EmailVerification.objects.owed().select_related("user"), pk=verification_id, build_message=build
    )


def verification_reconcile(*, in_flight_ids: Collection[int]) -> list[int]:
    """
    Re-owe what was lost and return the verification ids to enqueue again.
    Accounts made without user_create (the shell, a script) or whose address
    changed are owed a mail too: every account awaiting verification without
    one for its current address gets it here.
    """
    claims_release_dead(model=EmailVerification)
    orphans = User.objects.awaiting_verification().exclude(verifications__email=F("email"))
    EmailVerification.objects.bulk_create(
        [EmailVerification(user_id=pk, email=email) for pk, email in orphans.values_list("pk", "email")]
    )
    return owed_ids_not_in_flight(queryset=EmailVerification.objects.owed(), in_flight_ids=in_flight_ids)


def _reset_path(user: User) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(
        "users:password-reset-confirm", kwargs={"uidb64": uidb64, "token": default_token_generator.make_token(user)}
    )


def account_mail_send(*, mail_id: int) -> SendResult:
    def build(mail: AccountMail) -> EmailMessage:
        context = {"user": mail.user}
        if mail.kind == AccountMail.Kind.ACCOUNT_EXISTS:
            context["login_path"] = reverse("users:login")
        else:
            # Made at send time: a reset token dies once the password changes.
            context["reset_path"] = _reset_path(mail.user)
        return mail_render(template=f"users/email/{mail.kind}", context=context, to=mail.email)

    return delivery_send(queryset=AccountMail.objects.owed().select_related("user"), pk=mail_id, build_message=build)


def account_mail_reconcile(*, in_flight_ids: Collection[int]) -> list[int]:
    """Free dead claims and return the ids of owed account mails that no queued task covers."""
    claims_release_dead(model=AccountMail)
    return owed_ids_not_in_flight(queryset=AccountMail.objects.owed(), in_flight_ids=in_flight_ids)
