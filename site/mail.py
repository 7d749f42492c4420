"""
Mail infrastructure shared by both apps: render a mail from its three
templates, and tell a transient SMTP failure from a permanent one.
"""

import functools
import smtplib
from typing import cast

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.template import Context, Engine, engines
from django.template.backends.django import DjangoTemplates
from django.template.loader import render_to_string

from site.models import site_settings


@functools.cache
def _text_engine() -> Engine:
    """The site's own template folders and tags, for mail parts that are plain text."""
    site_engine = cast(DjangoTemplates, engines["django"]).engine
    return Engine(dirs=site_engine.dirs, app_dirs=site_engine.app_dirs, libraries=site_engine.libraries)


def _render_text(name: str, context: dict) -> str:
    # Plain text is not HTML: escaping would put &quot; and &lt; into it.
    return _text_engine().get_template(name).render(Context(context, autoescape=False))


def mail_render(
    *, template: str, context: dict, to: str, from_email: str | None = None, headers: dict[str, str] | None = None
) -> EmailMultiAlternatives:
    """Build a text+HTML mail from <template>_subject.txt, .txt and .html (from DEFAULT_FROM_EMAIL unless given)."""
    context = {"site_url": settings.SITE_URL, "blog_name": site_settings().title, **context}
    subject = " ".join(_render_text(f"{template}_subject.txt", context).split())
    text = _render_text(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", {**context, "subject": subject})
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], from_email=from_email, headers=headers)
    message.attach_alternative(html, "text/html")
    return message


def smtp_error_is_permanent(exc: BaseException) -> bool:
    """
    True when the server rejected this message or recipient for good (5xx).

    Only rejections that are about the mail itself count: a refused sender or
    failed login is our configuration, and fixing it should let the mail go.
    """
    if isinstance(exc, BadHeaderError):
        return True  # A header the message can never carry: no retry will build it.
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return 500 <= exc.smtp_code < 600
    return False
