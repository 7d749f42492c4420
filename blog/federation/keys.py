"""The actors' RSA key pairs (cryptography): made once per actor, the private half kept in the database only."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

# What Mastodon and its peers expect of an actor's key (draft-cavage, rsa-sha256).
KEY_BITS = 2048


def key_pair_make() -> tuple[str, str]:
    """A new pair as PEM (private PKCS#8, public SubjectPublicKeyInfo). CPU work: never inside a transaction."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem
