"""
How a delivery travels once rendered. SMTP today: one connection per batch
of mails, kept open across it, instead of one connection per mail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from site.mail import smtp_error_is_permanent


class SmtpSession:
    """One connection to the mail server for a batch; a failed conversation is dropped and the next mail opens anew."""

    def __init__(self) -> None:
        self.connection: BaseEmailBackend | None = None

    def send(self, message: EmailMessage, *, stable_id: str) -> None:
        # Stored at the first attempt and sent with every one: a retry after a
        # timeout (the server may have taken the first) is then the same mail
        # to the receiver, which many mail systems collapse.
        message.extra_headers["Message-ID"] = stable_id
        if self.connection is None:
            self.connection = get_connection()
            self.connection.open()
        message.connection = self.connection
        try:
            message.send()
        except Exception:
            self.close()  # The conversation may be half-way through a command: start clean.
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None


class SmtpTransport:
    name = "smtp"

    @contextmanager
    def session(self) -> Iterator[SmtpSession]:
        session = SmtpSession()
        try:
            yield session
        finally:
            session.close()

    def stable_id(self) -> str:
        return make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost")

    def is_permanent(self, exc: BaseException) -> bool:
        return smtp_error_is_permanent(exc)


SMTP = SmtpTransport()
