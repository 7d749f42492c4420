"""
Verification tokens: signed, timestamped, and bound to the address they verify.

The signature (HMAC with SECRET_KEY) makes them unguessable and is checked in
constant time by django.core.signing; the timestamp makes them expire; the
address digest makes them die when the email changes; and a verified account
has nothing left to verify, so a used link does nothing.
"""

import hashlib

from django.conf import settings
from django.core import signing

SALT = "users.verification"


class TokenInvalid(Exception):
    pass


class TokenExpired(TokenInvalid):
    pass


def _email_digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def verification_token_make(*, user_id: int, email: str) -> str:
    """A link token that verifies `email` for the account, and nothing else."""
    return signing.dumps([user_id, _email_digest(email)], salt=SALT, compress=True)


def verification_token_read(token: str) -> tuple[int, str]:
    """Return (user_id, email_digest) or raise TokenInvalid / TokenExpired."""
    try:
        user_id, digest = signing.loads(token, salt=SALT, max_age=settings.VERIFICATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise TokenExpired(str(exc)) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise TokenInvalid(str(exc)) from exc
    if not isinstance(user_id, int) or not isinstance(digest, str):
        raise TokenInvalid("malformed token")
    return user_id, digest


def token_matches_email(digest: str, email: str) -> bool:
    return signing.constant_time_compare(digest, _email_digest(email))
