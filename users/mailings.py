"""
Account mail, on the consumer's side: how verification, reset and "you
already have an account" mails are rendered, and the verification mails owed
to accounts made outside signup. Declared as delivery kinds in
users/deliveries.py; the registry's sender and reconciler do the rest.
"""

from collections.abc import Iterator

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.db.models import F
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from site.mail import mail_render
from site.tokens import invitation_token_make, verification_token_make
from users.models import INVITATION_DAYS, AccountMail, EmailVerification, Invitation, User


def verification_render(verification: EmailVerification) -> EmailMessage:
    token = verification_token_make(user_id=verification.user_id, email=verification.email)
    return mail_render(
        template="users/email/verification",
        context={"user": verification.user, "verify_path": reverse("users:verify", kwargs={"token": token})},
        to=verification.email,
    )


def verifications_owe_orphans() -> Iterator[list[int]]:
    """
    Accounts made without user_create (the shell, a script) or whose address
    changed are owed a mail too: every account awaiting verification without
    one for its current address gets it here (the reconciler queues it with
    the rest of what is owed, so this yields nothing of its own).
    """
    orphans = User.objects.awaiting_verification().exclude(verifications__email=F("email"))
    EmailVerification.objects.bulk_create(
        [EmailVerification(user_id=pk, email=email) for pk, email in orphans.values_list("pk", "email")]
    )
    yield from ()


def _reset_path(user: User) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(
        "users:password-reset-confirm", kwargs={"uidb64": uidb64, "token": default_token_generator.make_token(user)}
    )


def account_mail_render(mail: AccountMail) -> EmailMessage:
    context: dict[str, object] = {"user": mail.user}
    if mail.kind == AccountMail.Kind.ACCOUNT_EXISTS:
        context["login_path"] = reverse("users:login")
    else:
        # Made at send time: a reset token dies once the password changes.
        context["reset_path"] = _reset_path(mail.user)
    return mail_render(template=f"users/email/{mail.kind}", context=context, to=mail.email)


def invitation_render(invitation: Invitation) -> EmailMessage:
    token = invitation_token_make(invitation_id=invitation.pk)
    return mail_render(
        template="users/email/invitation",
        context={
            "invitation": invitation,
            "inviter": invitation.invited_by,
            "accept_path": reverse("users:invitation-accept", kwargs={"token": token}),
            "days": INVITATION_DAYS,
        },
        to=invitation.email,
    )
