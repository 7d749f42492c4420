"""
Mail infrastructure shared by both apps: render a mail from its three
templates, and tell a transient SMTP failure from a permanent one.
"""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def mail_render(*, template: str, context: dict, to: str) -> EmailMultiAlternatives:
    """Build a text+HTML mail from <template>_subject.txt, .txt and .html."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    return message


def smtp_error_is_permanent(exc: BaseException) -> bool:
    """
    True when the server rejected this message or recipient for good (5xx).

    Only rejections that are about the mail itself count: a refused sender or
    failed login is our configuration, and fixing it should let the mail go.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return 500 <= exc.smtp_code < 600
    return False
