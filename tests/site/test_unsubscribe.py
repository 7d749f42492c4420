"""One-click unsubscribe links (site/unsubscribe.py): signed, bound to one kind and one recipient."""

from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from blog.models import Subscriber
from site.tokens import TokenInvalid, unsubscribe_token_make, unsubscribe_token_read
from site.unsubscribe import NEW_POSTS, REPORTS

pytestmark = pytest.mark.django_db


def test_a_token_reads_back_only_for_its_own_kind():
    token = unsubscribe_token_make(kind=REPORTS, pk=7)
    assert unsubscribe_token_read(token, kind=REPORTS) == 7
    with pytest.raises(TokenInvalid):
        unsubscribe_token_read(token, kind=NEW_POSTS)


@given(
    token=st.one_of(
        st.text(min_size=1),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:", min_size=1),
        st.builds(
            lambda n, tail: unsubscribe_token_make(kind=REPORTS, pk=n)[:-tail], st.integers(1, 99), st.integers(1, 5)
        ),
    )
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_forged_token_unsubscribes_anyone(author, token):
    """Whatever the path holds but a token we signed: a 4xx (never a 500), and nobody is unsubscribed."""
    assume(token not in {unsubscribe_token_make(kind=k, pk=p) for k in (REPORTS, NEW_POSTS) for p in (author.pk, 1)})
    subscriber, _ = Subscriber.objects.get_or_create(
        author=author, email="r@example.org", defaults={"confirmed_at": timezone.now()}
    )
    for prefix in ("/accounts/reports/unsubscribe/", "/subscriptions/unsubscribe/"):
        response = Client().post(
            f"{prefix}{quote(token, safe='')}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert 400 <= response.status_code < 500
    author.refresh_from_db()
    subscriber.refresh_from_db()
    assert author.report_frequency == "daily" and subscriber.unsubscribed_at is None
