"""
The limits on signup, resend, password reset and login, and the login
throttle every password check goes through. The counting is site/throttles.py.
"""

import hashlib
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from site.addresses import email_normalize
from site.models import RateLimitCounter
from site.throttles import (
    Check,
    Limit,
    Throttled,
    throttle_check,
    throttle_count,
    throttle_forget,
    throttle_hit,
    throttle_key,
    throttle_raise_longest,
    throttle_refusal,
    throttles_purge,
)

__all__ = ["Check", "Limit", "Throttled", "throttle_check", "throttle_hit", "throttles_purge"]

SIGNUP_PER_IP = Limit("signup:ip", 10, 3600)
SIGNUP_PER_EMAIL = Limit("signup:email", 3, 3600)
RESEND_PER_ACCOUNT = Limit("resend:user", 3, 3600)
RESEND_PER_IP = Limit("resend:ip", 10, 3600)
RESET_PER_IP = Limit("reset:ip", 10, 3600)
RESET_PER_EMAIL = Limit("reset:email", 3, 3600)
# Login: attempts per client, attempts per account from one client, and
# failures per account. The last one only stops clients that have already
# failed on that account, so strangers cannot lock its owner out.
LOGIN_PER_CLIENT = Limit("login:ip", 30, 900)
LOGIN_PER_ACCOUNT_CLIENT = Limit("login:acct-ip", 10, 900)
LOGIN_FAILURES_PER_ACCOUNT = Limit("login:acct", 10, 900)


def _account(email: str) -> str:
    """A fixed-length name for an account in keys, so one account's keys are never a prefix of another's."""
    return hashlib.sha256(email_normalize(email).encode()).hexdigest()[:32]


def login_attempt(*, client: str, email: str, check: Callable[[], bool], now: datetime | None = None) -> bool:
    """
    Judge one login attempt (a password, at any way in: the site's login, the
    admin's, a password change). It is counted before `check()` runs, so
    concurrent guesses cannot slip under the limit; raises Throttled instead
    of running it when the client is over its limits, or when the account is
    under attack and this is not the client's first attempt on it.
    """
    now = now or timezone.now()
    account = _account(email)
    account_client = f"{account}|{client}"
    # Counted first: concurrent attempts from one client get distinct counts,
    # so under attack exactly one of them is the client's first.
    attempts, refusal = throttle_count(LOGIN_PER_ACCOUNT_CLIENT, account_client, now)
    refusals: list[Throttled | None] = [refusal]
    if attempts > 1:  # Under attack, only a client's first attempt on the account is judged.
        refusals.append(throttle_refusal(throttle_check, (LOGIN_FAILURES_PER_ACCOUNT, account), now=now))
    refusals.append(throttle_refusal(throttle_hit, (LOGIN_PER_CLIENT, client), now=now))
    throttle_raise_longest([refusal for refusal in refusals if refusal])  # The longest wait, so Retry-After is honest.
    if check():
        throttle_forget(LOGIN_PER_ACCOUNT_CLIENT, account_client)  # This client knows the password.
        return True
    try:
        throttle_hit((LOGIN_FAILURES_PER_ACCOUNT, account), now=now)
    except Throttled:
        pass  # Counted: from now on only a client's first attempt gets a try.
    return False


def login_unlock(*, email: str) -> None:
    """The owner proved they hold the mailbox (a password reset): every cool-off on this account, and no other, ends."""
    account = _account(email)
    throttle_forget(LOGIN_FAILURES_PER_ACCOUNT, account)
    # `account` is fixed-length and followed by "|": no other account's keys share this prefix.
    RateLimitCounter.objects.filter(key__startswith=throttle_key(LOGIN_PER_ACCOUNT_CLIENT, f"{account}|")).delete()
