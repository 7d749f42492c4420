"""HTTP Signatures (site/signatures.py): what is signed is taken, anything changed or replayed is not."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from blog.federation.keys import key_pair_make
from site.signatures import DATE_WINDOW, SignatureRefused, sign, signature_parse, verify

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BODY = b'{"type": "Follow", "actor": "https://social.example/users/bo"}'


_pair = key_pair_make  # The site's own pairs (blog/federation/keys.py).


PRIVATE, PUBLIC = _pair()
_, OTHER_PUBLIC = _pair()


def _signed(body=BODY, now=NOW, path="/authors/1/inbox/"):
    headers = sign(
        method="POST", path=path, host="blog.example", body=body, key_id="https://social.example/users/bo#main-key",
        private_key_pem=PRIVATE, now=now,
    )  # fmt: skip
    return {name.lower(): value for name, value in headers.items()}


def _verify(headers, *, body=BODY, path="/authors/1/inbox/", public=PUBLIC, now=NOW, method="POST"):
    signature = signature_parse(headers["signature"])
    verify(method=method, path=path, headers=headers, body=body, signature=signature, public_key_pem=public, now=now)


def test_a_signed_request_is_taken_and_names_its_key():
    headers = _signed()
    _verify(headers)
    parsed = signature_parse(headers["signature"])
    assert parsed.key_id == "https://social.example/users/bo#main-key"
    assert parsed.headers == ("(request-target)", "host", "date", "digest")


@pytest.mark.parametrize(
    "change, says",
    [
        (lambda h: {**h, "host": "evil.example"}, "does not match"),
        (lambda h: {**h, "date": "Sun, 06 Dec 2026 12:00:01 GMT"}, "does not match"),
        (lambda h: {k: v for k, v in h.items() if k != "date"}, "Date"),
        (lambda h: {**h, "digest": "SHA-256=AAAA"}, "Digest"),
        (
            lambda h: {**h, "signature": h["signature"].replace('algorithm="rsa-sha256"', 'algorithm="hmac-sha256"')},
            "algorithm",
        ),
        (
            lambda h: {**h, "signature": h["signature"].replace("(request-target) host date digest", "host")},
            "covers only",
        ),
        (lambda h: {**h, "signature": 'keyId="x"'}, "no key or no signature"),
        (lambda h: {**h, "signature": "garbage"}, "does not parse"),
    ],
)
def test_anything_changed_is_refused(change, says):
    with pytest.raises(SignatureRefused, match=says):
        _verify(change(_signed()))


def test_another_body_path_method_or_key_is_refused():
    for kwargs in ({"body": BODY + b" "}, {"path": "/inbox/"}, {"method": "PUT"}, {"public": OTHER_PUBLIC}):
        with pytest.raises(SignatureRefused):
            _verify(_signed(), **kwargs)


def test_an_old_or_future_date_is_a_replay():
    for offset in (DATE_WINDOW + timedelta(seconds=1), -DATE_WINDOW - timedelta(seconds=1)):
        with pytest.raises(SignatureRefused, match="window"):
            _verify(_signed(now=NOW - offset))
    _verify(_signed(now=NOW - DATE_WINDOW + timedelta(seconds=1)))


def test_a_short_key_is_refused():
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    pem = short.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(SignatureRefused, match="2048"):
        _verify(_signed(), public=pem)


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_changed_byte_of_the_signature_is_refused(position, flip):
    headers = _signed()
    parsed = signature_parse(headers["signature"])
    raw = bytearray(parsed.signature)
    raw[position % len(raw)] ^= flip
    forged = headers["signature"].replace(
        base64.b64encode(parsed.signature).decode(), base64.b64encode(bytes(raw)).decode()
    )
    with pytest.raises(SignatureRefused):
        _verify({**headers, "signature": forged})


@settings(max_examples=100, deadline=None)
@given(value=st.text(max_size=200))
def test_no_signature_header_breaks_the_parser(value):
    try:
        signature_parse(value)
    except SignatureRefused:
        pass


def _resigned(headers):
    """`headers` signed again as they now are (what another implementation would send)."""
    key = serialization.load_pem_private_key(PRIVATE.encode(), password=None)
    names = ("(request-target)", "host", "date", "digest")
    text = "\n".join(
        ["(request-target): post /authors/1/inbox/", *(f"{name}: {headers[name]}" for name in names[1:])]
    ).encode()
    signed = base64.b64encode(key.sign(text, padding.PKCS1v15(), hashes.SHA256())).decode()
    key_id = "https://social.example/users/bo#main-key"
    return {**headers, "signature": f'keyId="{key_id}",headers="{" ".join(names)}",signature="{signed}"'}


@given(
    name=st.sampled_from(["SHA-256", "sha-256", "Sha-256"]),
    others=st.lists(st.sampled_from(["MD5=AAAA", "SHA=BBBB", "unixsum=30"]), max_size=2),
    first=st.booleans(),
)
@settings(max_examples=30, deadline=None)
def test_the_digest_algorithm_name_is_taken_in_any_case_among_others(name, others, first):
    """bovine sends `sha-256=`, Mastodon `SHA-256=`: RFC 3230 names are case-insensitive, and a list may hold more."""
    headers = _signed()
    ours = name + "=" + headers["digest"].partition("=")[2]
    headers["digest"] = ", ".join([ours, *others] if first else [*others, ours])
    _verify(_resigned(headers))
    headers["digest"] = headers["digest"].replace(ours, name + "=AAAA")
    with pytest.raises(SignatureRefused, match="Digest"):
        _verify(_resigned(headers))
