import pytest
from django.utils import timezone

from blog import services as blog_services
from blog.models import DailyViews, Post

pytestmark = pytest.mark.django_db


def test_view_counting_adds_to_total_and_day(post):
    assert [blog_services.post_view_record(post=post) for _ in range(3)] == [1, 2, 3]
    post.refresh_from_db()
    assert post.view_count == 3
    assert DailyViews.objects.get(post=post, day=timezone.localdate()).views == 3


def test_unverified_author_cannot_publish(user):
    with pytest.raises(blog_services.NotVerified):
        blog_services.post_create(author=user, title="t", content="c", publish=True)
    draft = blog_services.post_create(author=user, title="t", content="c")
    with pytest.raises(blog_services.NotVerified):
        blog_services.post_publish(post=draft)
    assert not Post.objects.published().exists()


def test_publishing_is_refused_before_anything_is_written(user):
    with pytest.raises(blog_services.NotVerified):
        blog_services.post_create(author=user, title="t", content="c", publish=True)
    assert not Post.objects.exists()
