"""One mailbox, one account: addresses are normalised before identity, limits and mail."""

import pytest
from django.core import mail
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from site.addresses import email_normalize
from users.models import User

pytestmark = pytest.mark.django_db

INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u2066"]


def _fullwidth(char):
    return chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char


@st.composite
def disguised(draw, address):
    """The same mailbox written another way: other case, full-width forms, invisible characters."""
    out = []
    for char in address:
        if draw(st.booleans()):
            char = char.upper()
        if draw(st.booleans()):
            char = _fullwidth(char)
        out.append(char)
        out.extend(draw(st.lists(st.sampled_from(INVISIBLE), max_size=2)))
    return "".join(out)


@given(variant=disguised("ann.lee@example.com"))
@examples(max_examples=200, deadline=None)
def test_every_disguise_of_an_address_is_the_same_address(variant):
    assert email_normalize(variant) == "ann.lee@example.com"


def test_idna_2008_keeps_sharp_s_and_final_sigma_domains_apart_from_their_2003_foldings():
    assert email_normalize("x@faß.de") == email_normalize("x@xn--fa-hia.de") == "x@xn--fa-hia.de"
    assert email_normalize("x@fass.de") == "x@fass.de"  # Another domain, another mailbox.
    assert email_normalize("x@ς.gr") == "x@xn--3xa.gr"


def test_international_domains_are_stored_in_one_form():
    assert email_normalize("ann@BÜCHER.example") == "ann@xn--bcher-kva.example"
    assert email_normalize("ann@bu\u0308cher.example") == "ann@xn--bcher-kva.example"  # Decomposed ü.


@given(variant=disguised("ann@x.org"))
@examples(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_disguised_address_makes_no_second_account(client, make_user, variant):
    make_user(email="ann@x.org") if not User.objects.exists() else None
    fields = {"email": variant, "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"}
    response = client.post(reverse("users:signup"), fields, REMOTE_ADDR="198.51.100.1")
    assert response.status_code in (302, 429)
    assert list(User.objects.values_list("email", flat=True)) == ["ann@x.org"]


def test_the_per_address_signup_limit_sees_through_disguises(client, make_user):
    make_user(email="ann@x.org")
    statuses = [
        client.post(
            reverse("users:signup"),
            {"email": variant, "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"},
            REMOTE_ADDR=f"198.51.100.{n}",
        ).status_code
        for n, variant in enumerate(["ann@x.org", "ＡＮＮ@x.org", "a\u00adnn@x.org", "ann\u200b@x.org"])
    ]
    assert statuses == [302, 302, 302, 429]


@pytest.mark.parametrize(
    "address",
    ['"ann"@x.org', '"a b"@x.org', "ann@[127.0.0.1]", "ann@[IPv6:::1]", "ann@localhost", "ann@intranet", "ann@.x.org"],
)
def test_addresses_mail_cannot_reach_are_refused_with_a_message(client, address):
    fields = {"email": address, "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"}
    response = client.post(reverse("users:signup"), fields)
    assert response.status_code == 200
    assert "address mail can be delivered to" in response.content.decode()
    assert not User.objects.exists() and mail.outbox == []
