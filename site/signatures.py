"""
HTTP Signatures as the fediverse sends them (draft-cavage-http-signatures,
rsa-sha256, as Mastodon signs and checks): a POST signs
`(request-target) host date digest`, the body's SHA-256 goes in `Digest`,
and a signature is taken only within a few minutes of its `Date`.

Pure: no database, no network. The caller finds the signer's key
(keyId) and the transport sends the headers made here. Signing and
checking are CPU work: never inside a database transaction.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# A signature this much older or newer than the receiver's clock is refused
# (a replay, or a clock far off); Mastodon takes 12 hours, we take less.
DATE_WINDOW = timedelta(minutes=15)
SIGNED_FOR_POST = ("(request-target)", "host", "date", "digest")
# What a signature must cover to be taken: the target and the date always, the digest with a body.
REQUIRED = {"(request-target)", "date"}
_PARAMETER = re.compile(r'\s*([a-zA-Z]+)="([^"]*)"\s*(?:,|$)')


class SignatureRefused(Exception):
    """The request's signature does not hold: the message says why (for the log, not the sender)."""


@dataclass(frozen=True)
class Signature:
    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes


def digest_of(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


def _signed_text(names: tuple[str, ...], *, method: str, path: str, headers: Mapping[str, str]) -> bytes:
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path}")
        else:
            if name not in headers:
                raise SignatureRefused(f"the signed header {name!r} is missing")
            lines.append(f"{name}: {headers[name].strip()}")
    return "\n".join(lines).encode()


@functools.lru_cache(maxsize=64)
def _private_key(private_key_pem: str) -> rsa.RSAPrivateKey:
    """
    An actor's key, loaded once: loading checks the whole key (about 50 ms
    of CPU for RSA 2048), which a fan-out would otherwise pay per delivery.
    """
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("an actor's key is RSA")
    return key


def sign(
    *, method: str, path: str, host: str, body: bytes, key_id: str, private_key_pem: str, now: datetime
) -> dict[str, str]:
    """The headers that sign a request: Host, Date, Digest and Signature."""
    headers = {"host": host, "date": http_date(now), "digest": digest_of(body)}
    key = _private_key(private_key_pem)
    text = _signed_text(SIGNED_FOR_POST, method=method, path=path, headers=headers)
    signed = base64.b64encode(key.sign(text, padding.PKCS1v15(), hashes.SHA256())).decode()
    value = f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(SIGNED_FOR_POST)}",signature="{signed}"'
    return {"Host": host, "Date": headers["date"], "Digest": headers["digest"], "Signature": value}


def signature_parse(value: str) -> Signature:
    """The Signature header's parts; SignatureRefused for anything else."""
    parameters: dict[str, str] = {}
    position = 0
    while position < len(value):
        found = _PARAMETER.match(value, position)
        if found is None or found.end() == position:
            raise SignatureRefused("the Signature header does not parse")
        parameters[found[1].lower()] = found[2]
        position = found.end()
    if not parameters.get("keyid") or not parameters.get("signature"):
        raise SignatureRefused("the Signature header names no key or no signature")
    if not parameters["keyid"].isprintable():  # A key is named by an address: no control characters, no NUL.
        raise SignatureRefused("the key's name is not an address")
    algorithm = parameters.get("algorithm", "rsa-sha256").lower()
    if algorithm not in ("rsa-sha256", "hs2019"):
        raise SignatureRefused(f"the algorithm {algorithm!r} is not taken")
    try:
        signature = base64.b64decode(parameters["signature"], validate=True)
    except ValueError as exc:
        raise SignatureRefused("the signature is not base64") from exc
    names = tuple(parameters.get("headers", "date").lower().split())
    return Signature(key_id=parameters["keyid"], algorithm=algorithm, headers=names, signature=signature)


def verify(
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    signature: Signature,
    public_key_pem: str,
    now: datetime,
) -> None:
    """
    Check a request's signature with the signer's public key: the signed
    headers as received (names in lower case), the body against its Digest,
    the Date within DATE_WINDOW of `now`. SignatureRefused saying why.
    """
    covered = set(signature.headers)
    if not REQUIRED <= covered or (body and not {"digest", "host"} <= covered):
        raise SignatureRefused(f"the signature covers only {' '.join(signature.headers)}")
    try:
        sent = parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError, OverflowError) as exc:
        raise SignatureRefused("the Date header does not parse") from exc
    if sent.tzinfo is None or abs(now - sent) > DATE_WINDOW:
        raise SignatureRefused("the Date is outside the window")
    if "digest" in covered or body:
        # Algorithm names are case-insensitive (RFC 3230): Mastodon sends SHA-256=, bovine sha-256=.
        digests = dict(part.strip().partition("=")[::2] for part in headers.get("digest", "").split(","))
        given = {name.upper(): value for name, value in digests.items()}
        if "SHA-256=" + given.get("SHA-256", "") != digest_of(body):
            raise SignatureRefused("the body does not match its Digest")
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SignatureRefused("the signer's key does not load") from exc
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise SignatureRefused("the signer's key is not RSA of 2048 bits or more")
    text = _signed_text(signature.headers, method=method, path=path, headers=headers)
    try:
        key.verify(signature.signature, text, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureRefused("the signature does not match") from exc
