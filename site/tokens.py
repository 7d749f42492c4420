"""
Every signed token the site hands out, in one place: the link that verifies
an address, the one that confirms a subscription, the one-click unsubscribe,
and an invitation to write.
(Fediverse keys belong here too when they come.)

All are Django's signing (HMAC with SECRET_KEY, compared in constant time),
each with a salt of its own so a token for one purpose fails as any other.
The salts are those of the links already in people's mailboxes: changing one
would break them.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

VERIFICATION_SALT = "users.verification"
SUBSCRIPTION_SALT = "blog.subscription"
UNSUBSCRIBE_SALT = "site.unsubscribe"
INVITATION_SALT = "users.invitation"


class TokenInvalid(Exception):
    """Tampered with, made for another purpose, or not of the expected shape."""


class TokenExpired(TokenInvalid):
    pass


def _dumps(value: object, *, salt: str, compress: bool = False) -> str:
    return signing.dumps(value, salt=salt, compress=compress)


def _loads(token: str, *, salt: str, max_age: int | timedelta | None = None) -> object:
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise TokenExpired(str(exc)) from exc
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise TokenInvalid(str(exc)) from exc


def _id(value: object) -> int:
    """A row id, or TokenInvalid: a signed token of another shape is still no id."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise TokenInvalid("malformed token")
    return value


def _email_digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def verification_token_make(*, user_id: int, email: str) -> str:
    """
    A link token that verifies `email` for the account, and nothing else: it
    expires (VERIFICATION_MAX_AGE), and dies when the address changes.
    """
    return _dumps([user_id, _email_digest(email)], salt=VERIFICATION_SALT, compress=True)


def verification_token_read(token: str) -> tuple[int, str]:
    """Return (user_id, email_digest) or raise TokenInvalid / TokenExpired."""
    value = _loads(token, salt=VERIFICATION_SALT, max_age=settings.VERIFICATION_MAX_AGE)
    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[1], str):
        raise TokenInvalid("malformed token")
    return _id(value[0]), value[1]


def token_matches_email(digest: str, email: str) -> bool:
    return constant_time_compare(digest, _email_digest(email))


def confirmation_token_make(*, confirmation_id: int) -> str:
    return _dumps(confirmation_id, salt=SUBSCRIPTION_SALT)


def confirmation_token_read(token: str, *, max_age: timedelta) -> int:
    """The subscription confirmation's id, or TokenInvalid (tampered, or older than `max_age`)."""
    return _id(_loads(token, salt=SUBSCRIPTION_SALT, max_age=max_age))


def unsubscribe_token_make(*, kind: str, pk: int) -> str:
    # The kind is in the salt: a token for one kind fails the signature check as any other.
    return _dumps(pk, salt=f"{UNSUBSCRIBE_SALT}:{kind}")


def unsubscribe_token_read(token: str, *, kind: str) -> int:
    """The recipient's id, or TokenInvalid. No expiry: a years-old mail must still unsubscribe."""
    return _id(_loads(token, salt=f"{UNSUBSCRIBE_SALT}:{kind}"))


def invitation_token_make(*, invitation_id: int) -> str:
    return _dumps(invitation_id, salt=INVITATION_SALT)


def invitation_token_read(token: str, *, max_age: timedelta) -> int:
    """The invitation's id, or TokenInvalid / TokenExpired. Used, revoked or not: the invitation's row says."""
    return _id(_loads(token, salt=INVITATION_SALT, max_age=max_age))
