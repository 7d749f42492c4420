from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import Post, published_q, unique_slug

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


@pytest.mark.parametrize(
    "title, slug",
    [
        ("日本語だけのタイトル", "日本語だけのタイトル"),
        ("Καλημέρα κόσμε", "καλημέρα-κόσμε"),
        ("Привет, мир!", "привет-мир"),
        ("SQLite と Huey", "sqlite-と-huey"),
    ],
)
def test_a_title_in_any_script_gets_a_readable_slug(make_post, client, title, slug):
    post = make_post(title=title)
    assert post.slug == slug
    assert client.get(post.get_absolute_url()).status_code == 200


def test_a_title_without_letters_or_digits_still_gets_a_slug(make_post):
    assert [make_post(title="!!!").slug, make_post(title="???").slug] == ["post", "post-2"]


def test_slug_is_stable_after_publishing(post):
    post.title = "A new title"
    post.save()
    post.refresh_from_db()
    assert post.slug == "hello-world"


def test_a_draft_has_a_private_address_until_it_is_published(make_post):
    draft = make_post(title="Working title", published_at=None)
    assert "working" not in draft.slug and "title" not in draft.slug
    draft.title = "Final title"
    draft.save()
    assert "final" not in draft.slug
    draft.published_at = timezone.now()
    draft.save()
    assert draft.slug == "final-title"


def test_a_hidden_draft_does_not_show_in_anyone_elses_address(make_user, make_post):
    make_post(author=make_user(email="alice@x.org", verified=True), title="Secret plan", published_at=None)
    public = make_post(author=make_user(email="bob@x.org", verified=True), title="Secret plan")
    assert public.slug == "secret-plan"  # Not "secret-plan-2": nothing reveals Alice's draft.


def test_two_writers_racing_for_one_slug_both_get_their_post(make_post, monkeypatch):
    first = make_post(title="Same title")
    # The second writer chose its slug before the first one's insert landed.
    real_unique_slug, calls = unique_slug, []

    def stale_then_fresh(title, **kwargs):
        calls.append(title)
        return first.slug if len(calls) == 1 else real_unique_slug(title, **kwargs)

    monkeypatch.setattr("blog.models.posts.unique_slug", stale_then_fresh)
    second = make_post(title="Same title", content="The second writer's text.")
    assert second.slug == "same-title-2" and len(calls) == 2
    assert Post.objects.get(pk=second.pk).content == "The second writer's text."


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


def test_neighbours_follow_the_one_definition_of_published(make_post):
    posts = [make_post(title=f"p{n}", days_ago=10 - n) for n in range(4)]
    make_post(title="draft", published_at=None)
    make_post(title="scheduled", published_at=timezone.now() + timedelta(hours=1))
    make_post(title="same time as p1", published_at=posts[1].published_at)
    published = list(Post.objects.published().order_by("published_at", "pk"))
    for index, post in enumerate(published):
        found = post.neighbours
        assert found["older"] == (published[index - 1] if index else None), post.title
        assert found["newer"] == (published[index + 1] if index + 1 < len(published) else None), post.title
    assert Post.objects.get(title="draft").neighbours == {"older": None, "newer": None}
