"""A scheduled post is as hidden as a draft until its time comes, its address included."""

from datetime import timedelta

from django.db import DatabaseError, transaction
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


def test_a_post_moved_to_later_while_being_released_keeps_its_private_address(author, monkeypatch):
    later = timezone.now() + LATER
    post = services.post_create(author=author, title="Moved", content="x", publish=True, publish_at=later)
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(seconds=1))  # Its time comes…
    found = Post.objects.due_unreleased

    class Racing:
        """…and its writer moves it to tomorrow between the release's look and its write."""

        def _moved(self, rows):
            Post.objects.filter(pk=post.pk).update(published_at=later)
            return rows

        def values_list(self, *args, **kwargs):
            return self._moved(list(found().values_list(*args, **kwargs)))

        def select_related(self, *args):
            return self._moved(list(found().select_related(*args)))

    monkeypatch.setattr(Post.objects, "due_unreleased", Racing)
    assert services.posts_release() == []
    post.refresh_from_db()
    assert post.slug.startswith("_") and not post.is_published


def test_one_post_that_cannot_be_released_does_not_hold_back_the_others(author, monkeypatch):
    later = timezone.now() + LATER
    posts = [
        services.post_create(author=author, title=f"Due {n}", content="x", publish=True, publish_at=later)
        for n in range(2)
    ]
    Post.objects.update(published_at=timezone.now() - timedelta(seconds=1))
    real_save = Post.save

    def save_failing_first(self, *args, **kwargs):
        if self.pk == posts[0].pk:
            raise DatabaseError("disk I/O error")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Post, "save", save_failing_first)
    assert [p.pk for p in services.posts_release()] == [posts[1].pk]
    monkeypatch.setattr(Post, "save", real_save)
    assert [p.pk for p in services.posts_release()] == [posts[0].pk]  # The next run.
