"""The account mail kinds: taken before any bulk mail, whatever is queued."""

from site.registry import DeliveryKind, Priority
from site.transports import SMTP
from users import mailings
from users.models import AccountMail, EmailVerification

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

KINDS = (VERIFICATION, ACCOUNT_MAIL)
