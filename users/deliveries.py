"""The account mail kinds: taken before any bulk mail, whatever is queued."""

from site.registry import DeliveryKind, Priority
from site.transports import SMTP
from users import mailings
from users.models import AccountMail, EmailVerification, Invitation

VERIFICATION = DeliveryKind(
    name="verification",
    model=EmailVerification,
    owed=EmailVerification.objects.owed,
    related=("user",),
    render=mailings.verification_render,
    transport=SMTP,
    priority=Priority.ACCOUNT,
    discover=mailings.verifications_owe_orphans,
)

ACCOUNT_MAIL = DeliveryKind(
    name="account-mail",
    model=AccountMail,
    owed=AccountMail.objects.owed,
    related=("user",),
    render=mailings.account_mail_render,
    transport=SMTP,
    priority=Priority.ACCOUNT,
)

INVITATION = DeliveryKind(
    name="invitation",
    model=Invitation,
    owed=Invitation.objects.owed,
    related=("invited_by",),
    render=mailings.invitation_render,
    transport=SMTP,
    priority=Priority.ACCOUNT,
)

KINDS = (VERIFICATION, ACCOUNT_MAIL, INVITATION)
