import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError

from blog.models import Post

pytestmark = pytest.mark.django_db


def test_create_user_normalises_email_and_hashes_password():
    user = get_user_model().objects.create_user(email="  Ann@Example.ORG ", password="pw-123456789")
    assert user.email == "ann@example.org"
    assert user.check_password("pw-123456789")
    assert not user.is_verified
    assert str(user) == "ann@example.org"


def test_email_is_unique_whatever_its_case(make_user):
    make_user(email="ann@x.org")
    with pytest.raises(IntegrityError):
        make_user(email="ANN@X.org")


def test_login_lookup_ignores_case(make_user):
    user = make_user(email="ann@x.org")
    assert get_user_model().objects.get_by_natural_key("Ann@X.ORG") == user


def test_create_superuser_is_staff_and_verified():
    admin = get_user_model().objects.create_superuser(email="root@x.org", password="pw-123456789")
    assert admin.is_staff and admin.is_superuser and admin.is_verified


def test_post_create_is_published_with_slug(author):
    post = Post.objects.create(author=author, title="Hello, World!", content="x")
    assert post.is_published
    assert post.slug == "hello-world"
    assert post.slug in post.get_absolute_url()
    assert list(Post.objects.published()) == [post]


def test_slugs_stay_unique(author):
    slugs = [Post.objects.create(author=author, title="Same title", content="x").slug for _ in range(3)]
    assert slugs == ["same-title", "same-title-2", "same-title-3"]


def test_title_without_ascii_letters_still_gets_a_slug(author):
    first = Post.objects.create(author=author, title="日本語", content="x")
    second = Post.objects.create(author=author, title="!!!", content="x")
    assert first.slug == "post"
    assert second.slug == "post-2"


def test_slug_is_stable_after_publishing(post):
    post.title = "A new title"
    post.save()
    post.refresh_from_db()
    assert post.slug == "hello-world"


def test_draft_slug_follows_its_title(author):
    draft = Post.objects.create(author=author, title="Working title", content="x", published_at=None)
    draft.title = "Final title"
    draft.save()
    assert draft.slug == "final-title"


def test_drafts_are_visible_only_to_their_author(author, make_user):
    draft = Post.objects.create(author=author, title="Secret", content="x", published_at=None)
    other = make_user(email="other@x.org")
    assert draft in Post.objects.visible_to(author)
    assert draft not in Post.objects.visible_to(other)
    assert draft not in Post.objects.published()
