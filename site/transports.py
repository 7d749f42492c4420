"""
How a delivery travels once rendered: SMTP (one connection per batch of
mails, kept open across it) or a signed HTTP POST to a fediverse inbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import make_msgid
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from site.fetch import FetchFailed, FetchRefused, fetch
from site.mail import smtp_error_is_permanent
from site.signatures import sign

ACTIVITY_JSON = "application/activity+json"


class SmtpSession:
    """One connection to the mail server for a batch; a failed conversation is dropped and the next mail opens anew."""

    def __init__(self) -> None:
        self.connection: BaseEmailBackend | None = None

    def ready(self) -> None:
        """
        Connected, before the send's turn is taken: a slow first connection
        then never bunches the batch's first mail up against the next ones in
        the second a provider counts.
        """
        if self.connection is None:
            self.connection = get_connection()
            self.connection.open()

    def send(self, message: EmailMessage, *, stable_id: str) -> None:
        # Stored at the first attempt and sent with every one: a retry after a
        # timeout (the server may have taken the first) is then the same mail
        # to the receiver, which many mail systems collapse.
        message.extra_headers["Message-ID"] = stable_id
        self.ready()
        assert self.connection is not None
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


@dataclass(frozen=True)
class SignedPost:
    """A rendered activity: the inbox it goes to, its JSON, and the key it is signed with (its actor's)."""

    inbox: str
    body: bytes
    key_id: str
    private_key_pem: str


class InboxRefused(Exception):
    """The inbox answered, and not with a 2xx: `status` says whether trying again can help."""

    def __init__(self, inbox: str, status: int) -> None:
        super().__init__(f"{inbox} answered {status}")
        self.status = status


class ServerDown(Exception):
    """Not tried: the inbox's server failed earlier in this batch (down, slow or overloaded); tried again later."""


class SignedPostSession:
    """
    Each activity signed (HTTP Signatures, in the consumer, outside any
    transaction) and POSTed on its own. A server that fails (no answer in
    time, 5xx, 429) is not tried again within the batch: its other
    deliveries wait for their retry instead of each waiting out a timeout.
    """

    def __init__(self) -> None:
        self.down: set[str] = set()

    def ready(self) -> None:
        """Each POST makes its own connection: nothing to open ahead of the turn."""

    def send(self, message: SignedPost, *, stable_id: str) -> None:
        parts = urlsplit(message.inbox)
        server = parts.netloc.lower()
        if server in self.down:
            raise ServerDown(f"{server} failed earlier in this batch")
        try:
            self._post(message, parts)
        except FetchFailed:
            self.down.add(server)
            raise
        except InboxRefused as refused:
            if refused.status >= 500 or refused.status in (408, 429):
                self.down.add(server)
            raise

    def _post(self, message: SignedPost, parts: SplitResult) -> None:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = sign(
            method="POST",
            path=path,
            host=parts.netloc,
            body=message.body,
            key_id=message.key_id,
            private_key_pem=message.private_key_pem,
            now=datetime.now(UTC),
        )
        headers.update(
            {
                "Content-Type": ACTIVITY_JSON,
                "Accept": ACTIVITY_JSON,
                "User-Agent": f"quick_publisher ({settings.SITE_URL})",
            }
        )
        answer = fetch(message.inbox, method="POST", headers=headers, body=message.body, max_bytes=65536)
        if not 200 <= answer.status < 300:
            raise InboxRefused(message.inbox, answer.status)


class SignedPostTransport:
    name = "signed-post"

    @contextmanager
    def session(self) -> Iterator[SignedPostSession]:
        yield SignedPostSession()

    def stable_id(self) -> str:
        # An activity's id is made when it is owed (it names the post or the Follow); this is for any other.
        return f"{settings.SITE_URL}/activities/{uuid.uuid4()}"

    def is_permanent(self, exc: BaseException) -> bool:
        """An address refused, or an inbox that says no (404, 410, 403…): trying again cannot help."""
        if isinstance(exc, FetchRefused):
            return True
        return isinstance(exc, InboxRefused) and 400 <= exc.status < 500 and exc.status not in (408, 429)


SIGNED_POST = SignedPostTransport()
