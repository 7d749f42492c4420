import pytest
from django.utils import timezone

from blog import services
from blog.models import DailySources, DailyViews, Post

pytestmark = pytest.mark.django_db


def test_a_read_adds_to_total_day_and_source_once_per_visitor(post):
    day = timezone.localdate()
    totals = [
        services.post_read_record(post=post, visitor=v, source=s) for v, s in [("a", ""), ("b", "x.org"), ("a", "")]
    ]
    assert totals == [1, 2, None]
    post.refresh_from_db()
    assert post.view_count == 2
    assert DailyViews.objects.get(post=post, day=day).views == 2
    assert DailySources.objects.get(post=post, day=day, source="x.org").reads == 1


def test_unverified_author_cannot_publish(user):
    with pytest.raises(services.NotVerified):
        services.post_create(author=user, title="t", content="c", publish=True)
    draft = services.post_create(author=user, title="t", content="c")
    with pytest.raises(services.NotVerified):
        services.post_publish(by=user, post=draft)
    assert not Post.objects.published().exists()


def test_publishing_is_refused_before_anything_is_written(user):
    with pytest.raises(services.NotVerified):
        services.post_create(author=user, title="t", content="c", publish=True)
    assert not Post.objects.exists()
