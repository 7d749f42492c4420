"""
Mail addresses as both apps take them: one normal form per mailbox, and a
form field that stores that form and refuses addresses mail cannot reach.
"""

import unicodedata

import idna
from django import forms


def email_normalize(email: str | None) -> str:
    """
    One mailbox, one account: the form addresses are compared, counted and
    stored in. Unicode compatibility forms fold (full-width letters, ligatures),
    invisible characters go (zero-width, soft hyphens, direction marks), the
    domain takes its IDNA form, and everything is lower case.
    """
    value = unicodedata.normalize("NFKC", email or "")
    value = "".join(char for char in value if unicodedata.category(char) not in {"Cc", "Cf"}).strip().lower()
    local, at, domain = value.rpartition("@")
    if not at:
        return value
    try:
        # IDNA 2008 with UTS 46 mapping, as registries and mail systems use it:
        # Python's own "idna" codec is IDNA 2003, which turns faß.de into the
        # different domain fass.de.
        domain = idna.encode(domain, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError:
        pass  # Not a valid domain; the form's check refuses it.
    return f"{local}@{domain}"


# Providers known to deliver "a.b.c@" to "abc@": dots in the local part say nothing.
DOTS_IGNORED = frozenset({"gmail.com", "googlemail.com"})
# Domains that are one mailbox provider under two names.
SAME_PROVIDER = {"googlemail.com": "gmail.com"}


def mailbox_key(email: str) -> str:
    """
    The mailbox an address reaches, for counting what is sent to it: its
    normal form (email_normalize) without a "+tag", and without dots where
    the provider ignores them. "A.nn+x@Gmail.com" and "ann@gmail.com" are one
    mailbox, so a per-address limit holds for both together.
    """
    local, at, domain = email_normalize(email).rpartition("@")
    if not at:
        return local + at + domain
    local = local.split("+", 1)[0] or local
    if domain in DOTS_IGNORED:
        local = local.replace(".", "") or local
    return f"{local}@{SAME_PROVIDER.get(domain, domain)}"


def email_unmailable_reason(email: str) -> str | None:
    """Why mail could not reach a (normalised) address a form accepted, or None."""
    local, _, domain = email.rpartition("@")
    if local.startswith('"'):
        return "a quoted name before the @"
    if domain.startswith("[") or "." not in domain.strip("."):
        return "a domain that is not a public name"
    if domain.startswith(".") or ".." in domain:
        return "a malformed domain"
    return None


class MailboxField(forms.EmailField):
    """An address in its one normal form (email_normalize), refused unless mail can reach it."""

    def to_python(self, value: object) -> str:
        return email_normalize(super().to_python(value))

    def validate(self, value: str) -> None:
        super().validate(value)
        # Without an @ it is not an address at all: Django's "Enter a valid email address" says so better.
        reason = value and "@" in value and email_unmailable_reason(value)
        if reason:
            raise forms.ValidationError(
                f"Use an address mail can be delivered to, like name@example.com (this one has {reason}).",
                code="unmailable",
            )
