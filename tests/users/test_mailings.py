"""Account mail on the consumer's side (users/mailings.py): sending and reconciling."""

import re
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from site.outbox import Outcome, SendResult, delivery_send
from tests.deliveries import reconciled
from users import services
from users.deliveries import ACCOUNT_MAIL, VERIFICATION
from users.models import AccountMail, EmailVerification

pytestmark = pytest.mark.django_db


def test_sent_mail_is_not_sent_again(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_create(email="ann@x.org", password="pw-long-enough-1")
    verification = EmailVerification.objects.get(user=user)
    assert delivery_send(kind=VERIFICATION, pk=verification.pk) == SendResult(Outcome.SKIPPED)
    assert len(mail.outbox) == 1


def test_reconcile_owes_mail_to_accounts_made_in_the_shell(make_user):
    shell_user = make_user(email="shell@x.org")
    make_user(email="ok@x.org", verified=True)
    [verification_id] = reconciled(VERIFICATION, set())
    assert EmailVerification.objects.get(pk=verification_id).user == shell_user
    assert delivery_send(kind=VERIFICATION, pk=verification_id) == SendResult(Outcome.SENT)
    assert mail.outbox[0].to == ["shell@x.org"]


def test_reconcile_reowes_lost_mail_but_not_queued_or_sent(owed_verification, make_user):
    lost = owed_verification()
    queued = owed_verification(make_user(email="b@x.org"))
    owed_verification(make_user(email="c@x.org"), sent_at=timezone.now())
    assert reconciled(VERIFICATION, {queued.pk}) == [lost.pk]


def test_reconcile_frees_claims_of_dead_processes(owed_verification):
    verification = owed_verification(
        claimed_until=timezone.now() + timedelta(minutes=5), claimed_by=f"{socket.gethostname()}:999999999"
    )
    assert reconciled(VERIFICATION, set()) == [verification.pk]


def test_no_mail_owed_once_verified_or_expired(user, make_user, owed_verification, settings):
    owed_verification()
    owed_verification(make_user(email="v@x.org", verified=True))
    assert reconciled(VERIFICATION, set()) == [user.verifications.get().pk]
    settings.VERIFICATION_MAX_AGE = 0
    assert reconciled(VERIFICATION, set()) == []


def test_accounts_past_the_link_lifetime_are_owed_nothing(make_user, settings):
    old = make_user(
        email="old@x.org", date_joined=timezone.now() - timedelta(seconds=settings.VERIFICATION_MAX_AGE + 1)
    )
    assert reconciled(VERIFICATION, set()) == []
    assert not old.verifications.exists()


def test_an_email_change_voids_mail_owed_to_the_old_address(user, owed_verification):
    stale = owed_verification()
    user.email = "new@x.org"
    user.save()
    assert delivery_send(kind=VERIFICATION, pk=stale.pk) == SendResult(Outcome.SKIPPED)
    assert mail.outbox == []
    # The new address is owed its own mail, whose link verifies it.
    [fresh_id] = reconciled(VERIFICATION, set())
    assert EmailVerification.objects.get(pk=fresh_id).email == "new@x.org"
    assert delivery_send(kind=VERIFICATION, pk=fresh_id) == SendResult(Outcome.SENT)
    [message] = mail.outbox
    assert message.to == ["new@x.org"]
    token = re.search(r"/accounts/verify/([^/\s]+)/", message.body)[1]
    assert services.user_verify(token=token, by=user) == user


def test_a_link_only_verifies_the_address_it_was_sent_to(user, owed_verification):
    verification = owed_verification()
    # Sent while the address was still the old one...
    delivery_send(kind=VERIFICATION, pk=verification.pk)
    token = re.search(r"/accounts/verify/([^/\s]+)/", mail.outbox[0].body)[1]
    user.email = "new@x.org"
    user.save()
    # ...it cannot verify the new one.
    with pytest.raises(services.VerificationFailed):
        services.user_verify(token=token, by=user)


def test_a_reset_mail_is_owed_until_sent_and_a_lost_task_is_queued_again(user, settings):
    services.password_reset_request(email=user.email.upper())  # The task was lost: nothing ran it.
    mail.outbox.clear()
    [mail_id] = reconciled(ACCOUNT_MAIL, set())
    assert AccountMail.objects.get(pk=mail_id).kind == AccountMail.Kind.PASSWORD_RESET
    assert reconciled(ACCOUNT_MAIL, {mail_id}) == []  # Queued already.
    assert delivery_send(kind=ACCOUNT_MAIL, pk=mail_id) == SendResult(Outcome.SENT)
    assert "/accounts/password/reset/" in mail.outbox[0].body
    assert delivery_send(kind=ACCOUNT_MAIL, pk=mail_id) == SendResult(Outcome.SKIPPED)
    assert reconciled(ACCOUNT_MAIL, set()) == []


def test_an_account_mail_is_not_owed_once_its_link_would_be_dead_or_the_address_changed(user, settings):
    old = AccountMail.objects.create(user=user, kind=AccountMail.Kind.PASSWORD_RESET, email=user.email)
    settings.PASSWORD_RESET_TIMEOUT = 0
    assert reconciled(ACCOUNT_MAIL, set()) == []
    settings.PASSWORD_RESET_TIMEOUT = 3600
    user.email = "new@x.org"
    user.save()
    assert delivery_send(kind=ACCOUNT_MAIL, pk=old.pk) == SendResult(Outcome.SKIPPED)
    assert mail.outbox == []
