from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import Post, published_q

pytestmark = pytest.mark.django_db


def test_post_create_is_published_with_slug(make_post):
    post = make_post(title="Hello, World!")
    assert post.is_published
    assert post.slug == "hello-world"
    assert post.slug in post.get_absolute_url()
    assert list(Post.objects.published()) == [post]


def test_slugs_stay_unique(make_post):
    slugs = [make_post(title="Same title").slug for _ in range(3)]
    assert slugs == ["same-title", "same-title-2", "same-title-3"]


def test_title_without_ascii_letters_still_gets_a_slug(make_post):
    first = make_post(title="日本語")
    second = make_post(title="!!!")
    assert first.slug == "post"
    assert second.slug == "post-2"


def test_slug_is_stable_after_publishing(post):
    post.title = "A new title"
    post.save()
    post.refresh_from_db()
    assert post.slug == "hello-world"


def test_draft_slug_follows_its_title(make_post):
    draft = make_post(title="Working title", published_at=None)
    draft.title = "Final title"
    draft.save()
    assert draft.slug == "final-title"


def test_drafts_are_visible_only_to_their_author(author, make_post, make_user):
    draft = make_post(title="Secret", published_at=None)
    other = make_user(email="other@x.org")
    assert draft in Post.objects.visible_to(author)
    assert draft not in Post.objects.visible_to(other)
    assert draft not in Post.objects.published()


def test_a_post_scheduled_for_later_is_a_draft_until_its_time(make_post):
    scheduled = make_post(title="Later", published_at=timezone.now() + timedelta(hours=1))
    published = make_post(title="Now")
    never = make_post(title="Never", published_at=None)
    assert not scheduled.is_published
    assert list(Post.objects.published()) == [published]
    assert set(Post.objects.drafts()) == {scheduled, never}
    assert set(Post.objects.filter(published_q())) == {published}
