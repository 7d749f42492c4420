"""Account pre-takeover: someone signs up first with another person's address and keeps a session."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from users.models import User

pytestmark = pytest.mark.django_db

ATTACKER_PW, VICTIM_PW = "attacker-chose-this-1", "victim-chose-this-2"


def _signup(client, password):
    return client.post(reverse("users:signup"), {"email": "victim@x.org", "password1": password, "password2": password})


def _links(message):
    return re.findall(r"https?://[^/\s]+(/accounts/\S+/)", message.body)


@pytest.fixture
def attacker(django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _signup(client, ATTACKER_PW)
    assert client.post(reverse("users:login"), {"username": "victim@x.org", "password": ATTACKER_PW}).status_code == 302
    assert client.get(reverse("blog:dashboard")).status_code == 200
    # Prepared well ahead: an hour later the victim signs up.
    User.objects.filter(email="victim@x.org").update(date_joined=timezone.now() - timedelta(hours=1))
    mail.outbox.clear()  # The attacker's own verification mail went to the victim's box; see the tests below.
    return client


def test_the_victims_signup_ends_with_the_victims_account(attacker, django_capture_on_commit_callbacks):
    victim = Client()
    with django_capture_on_commit_callbacks(execute=True):
        assert _signup(victim, VICTIM_PW).status_code == 302
    [message] = mail.outbox
    [link] = _links(message)
    assert "/accounts/verify/" not in link  # No link that verifies an account someone else chose the password of.
    response = victim.get(link, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = victim.post(
            response.redirect_chain[-1][0] if response.redirect_chain else link,
            {"new_password1": VICTIM_PW, "new_password2": VICTIM_PW},
        )
    assert response.status_code == 302
    account = User.objects.get(email="victim@x.org")
    assert account.is_verified and account.check_password(VICTIM_PW)
    # The attacker's session is over, and their password opens nothing.
    assert attacker.get(reverse("blog:dashboard")).status_code == 302
    assert (
        attacker.post(reverse("users:login"), {"username": "victim@x.org", "password": ATTACKER_PW}).status_code == 200
    )


def test_a_verification_link_alone_verifies_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _signup(Client(), ATTACKER_PW)
    [link] = _links(mail.outbox[0])
    # The victim (or their mail scanner) opens the mail an attacker's signup caused.
    response = Client().get(link)
    assert response.status_code == 302 and response["Location"].startswith(reverse("users:login"))
    assert not User.objects.get(email="victim@x.org").is_verified


def test_the_link_verifies_for_whoever_logs_in_with_the_accounts_password(django_capture_on_commit_callbacks):
    owner = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _signup(owner, VICTIM_PW)
    [link] = _links(mail.outbox[0])
    login = owner.get(link)
    assert login.status_code == 302
    response = owner.post(login["Location"], {"username": "victim@x.org", "password": VICTIM_PW}, follow=True)
    assert response.status_code == 200 and "is confirmed" in response.content.decode()
    assert User.objects.get(email="victim@x.org").is_verified


def test_a_link_for_another_account_verifies_nothing(make_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _signup(Client(), VICTIM_PW)
    [link] = _links(mail.outbox[0])
    other = Client()
    other.force_login(make_user(email="other@x.org"))
    assert other.get(link).status_code == 400
    assert not User.objects.get(email="victim@x.org").is_verified


def test_a_double_submitted_signup_gets_one_mail(django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _signup(client, VICTIM_PW)
        _signup(Client(), VICTIM_PW)
    assert len(mail.outbox) == 1 and "/accounts/verify/" in mail.outbox[0].body
