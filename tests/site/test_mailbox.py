"""One mailbox, one count: a per-address limit holds for every spelling that reaches the same inbox."""

import pytest
from django.core import mail
from hypothesis import given
from hypothesis import strategies as st

from blog.models import SubscriptionConfirmation
from site.addresses import mailbox_key

pytestmark = pytest.mark.django_db

local = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)


@given(name=local, tag=st.text(alphabet="abcxyz0123456789-", max_size=10), upper=st.booleans())
def test_tags_and_case_reach_the_same_mailbox(name, tag, upper):
    variant = f"{name}+{tag}@Example.ORG" if tag else f"{name}@Example.ORG"
    assert mailbox_key(variant.upper() if upper else variant) == f"{name}@example.org"


@given(name=local, cuts=st.lists(st.integers(1, 11), max_size=3))
def test_dots_count_only_where_the_provider_ignores_them(name, cuts):
    dotted = name
    for cut in sorted(set(cuts), reverse=True):
        if cut < len(dotted):
            dotted = dotted[:cut] + "." + dotted[cut:]
    assert mailbox_key(f"{dotted}@gmail.com") == mailbox_key(f"{name}@googlemail.com") == f"{name}@gmail.com"
    assert mailbox_key(f"{dotted}@example.org") == f"{dotted}@example.org"  # Elsewhere a dot is another mailbox.


def test_a_subscription_limit_counts_every_spelling_of_one_inbox(
    client, author, post, django_capture_on_commit_callbacks
):
    spellings = ["ann@gmail.com", "A.nn+news@gmail.com", "ANN+x@GoogleMail.com", "a.n.n@gmail.com"]
    statuses = []
    with django_capture_on_commit_callbacks(execute=True):
        for n, spelling in enumerate(spellings):
            response = client.post(
                f"/authors/{author.pk}/subscribe/", {"email": spelling}, REMOTE_ADDR=f"198.51.100.{n}"
            )
            statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]  # Three confirmation mails an hour to one inbox, however spelled.
    assert SubscriptionConfirmation.objects.count() == 3 and len(mail.outbox) == 3
