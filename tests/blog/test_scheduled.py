"""A scheduled post is as hidden as a draft until its time comes, its address included."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog import services
from blog.models import Post
from blog.tasks import posts_release_task

TITLES = st.text(st.characters(categories=("L", "N", "P", "Zs")), min_size=1, max_size=30)
LATER = timedelta(days=1)


def _slug_alone(author, title: str) -> str:
    """The address `author` gets for `title` on a site where nobody else wrote."""
    with transaction.atomic():
        slug = services.post_create(author=author, title=title, content="x", publish=True).slug
        transaction.set_rollback(True)
    return slug


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TITLES, planned=st.booleans(), guesser_first=st.booleans())
def test_no_one_learns_a_scheduled_posts_title_from_an_address(make_user, title, planned, guesser_first):
    with transaction.atomic():  # Each example on a site of its own.
        victim = make_user(email="victim@example.com", verified=True)
        guesser = make_user(email="guesser@example.com", verified=True)
        alone = _slug_alone(guesser, title)
        schedule = {"publish": True, "publish_at": timezone.now() + LATER, "planned_slug": alone if planned else ""}
        if guesser_first:  # The guesser's own scheduled post does not move when the victim's arrives.
            guessed = services.post_create(author=guesser, title=title, content="x", **schedule)
            before = guessed.slug
            services.post_create(author=victim, title=title, content="x", **schedule)
            guessed.refresh_from_db()
            assert guessed.slug == before and guessed.get_absolute_url() == f"/posts/{before}/"
        else:
            services.post_create(author=victim, title=title, content="x", **schedule)
            assert services.post_create(author=guesser, title=title, content="x", publish=True).slug == alone
        transaction.set_rollback(True)


def test_a_scheduled_post_gets_its_address_when_its_time_comes(author, make_user, monkeypatch):
    post = services.post_create(
        author=author, title="Big news", content="x", publish=True, publish_at=timezone.now() + LATER
    )
    assert post.slug.startswith("_") and not Post.objects.published().exists()
    other = make_user(email="other@example.com", verified=True)
    assert services.post_create(author=other, title="Big news", content="y", publish=True).slug == "big-news"
    later = timezone.now() + LATER + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert not Post.objects.published().filter(pk=post.pk).exists()  # Not until it has its address.
    posts_release_task.call_local()
    post.refresh_from_db()
    assert post.slug == "big-news-2" and Post.objects.published().filter(pk=post.pk).exists()
    posts_release_task.call_local()  # Released once: its address never changes again.
    post.refresh_from_db()
    assert post.slug == "big-news-2"
