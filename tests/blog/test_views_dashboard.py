from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from blog.charts import daily_bars
from blog.models import DailySources, DailyViews, Post, Report
from blog.views import DASHBOARD_POSTS

pytestmark = pytest.mark.django_db


def test_dashboard_lists_own_posts(author_client, post):
    response = author_client.get(reverse("blog:dashboard"))
    assert post.title in response.content.decode()
    assert "no report sent yet" in response.content.decode()


def test_chart_has_one_bar_per_day_scaled_to_the_peak():
    end = timezone.localdate()
    chart = daily_bars({end: 10, end - timedelta(days=1): 5, end - timedelta(days=40): 99}, end=end, days=30)
    assert len(chart["bars"]) == 30
    assert chart["bars"][-1]["day"] == end and chart["bars"][-1]["views"] == 10
    assert chart["bars"][-2]["height"] == pytest.approx(chart["bars"][-1]["height"] / 2, abs=0.1)
    assert chart["bars"][0]["height"] == 0 and chart["total"] == 15 and chart["peak"] == 10


def test_dashboard_shows_views_per_day_totals_and_last_report(author_client, author, post, make_post, make_user):
    today = timezone.localdate()
    DailyViews.objects.create(post=post, day=today, views=4)
    DailyViews.objects.create(post=post, day=today - timedelta(days=3), views=2)
    DailyViews.objects.create(post=post, day=today - timedelta(days=45), views=100)
    Post.objects.filter(pk=post.pk).update(view_count=106)
    other = make_post(author=make_user(email="o@x.org", verified=True), title="Not mine")
    DailyViews.objects.create(post=other, day=today, views=50)
    Report.objects.create(author=author, day=today - timedelta(days=1), sent_at=timezone.now())
    response = author_client.get(reverse("blog:dashboard"))
    page = response.content.decode()
    chart = response.context["chart"]
    assert chart["total"] == 6 and chart["peak"] == 4
    assert "<svg" in page and page.count('class="bar"') == 30
    assert f"{today:%a} {today.day} {today:%b}: 4 reads" in page
    assert chart["scale"] == [4, 2, 0]
    assert "Not mine" not in page
    assert "last report sent" in page
    [row] = response.context["posts"]
    assert row.views_since == 6 and row.view_count == 106


def test_preview_renders_without_saving(author_client, post):
    response = author_client.post(
        reverse("blog:post-create"), {"title": "Draft <b>bold</b>", "content": "Para one.\n\nPara two.", "preview": "1"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Preview: not saved yet" in page
    assert "<p>Para one.</p>" in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert Post.objects.count() == 1
    edit = author_client.post(
        reverse("blog:post-edit", args=[post.slug]), {"title": "Changed", "content": "New", "preview": "1"}
    )
    assert "Changed" in edit.content.decode()
    post.refresh_from_db()
    assert post.title == "Hello world"


def test_dashboard_counts_as_published_what_its_rows_call_published(author_client, post, make_post):
    make_post(title="Scheduled", published_at=timezone.now() + timedelta(days=1))
    make_post(title="Unfinished", published_at=None)
    response = author_client.get(reverse("blog:dashboard"))
    page = response.content.decode()
    assert response.context["published"] == 1
    assert page.count(">Published<") == 1 and page.count(">Draft<") == 1 and page.count(">Scheduled for ") == 1


def test_dashboard_ranks_posts_and_the_sites_readers_came_from(author_client, author, make_post, make_user):
    today = timezone.localdate()
    quiet, busy = make_post(title="Quiet"), make_post(title="Busy")
    DailyViews.objects.create(post=busy, day=today, views=9)
    DailyViews.objects.create(post=quiet, day=today - timedelta(days=2), views=2)
    DailySources.objects.create(post=busy, day=today, source="news.example", reads=5)
    DailySources.objects.create(post=quiet, day=today - timedelta(days=1), source="news.example", reads=1)
    DailySources.objects.create(post=quiet, day=today, source="friend.example", reads=2)
    DailySources.objects.create(post=quiet, day=today - timedelta(days=40), source="old.example", reads=99)
    other = make_post(author=make_user(email="o@x.org", verified=True), title="Not mine")
    DailySources.objects.create(post=other, day=today, source="elsewhere.example", reads=50)
    response = author_client.get(reverse("blog:dashboard"))
    assert [top.post.title for top in response.context["top_posts"]] == ["Busy", "Quiet"]
    assert response.context["sources"] == [("news.example", 6), ("friend.example", 2)]
    page = response.content.decode()
    assert "news.example" in page and "old.example" not in page and "elsewhere.example" not in page


def test_dashboard_without_reads_says_so_instead_of_an_empty_chart(author_client, make_post):
    make_post(title="Unread")
    page = author_client.get(reverse("blog:dashboard")).content.decode()
    assert "No reads in the last 30 days yet" in page and "<svg" not in page


@pytest.mark.parametrize("page", ["", "2", "3", "0", "x", "99999999999999999999"])
def test_the_dashboard_lists_posts_a_page_at_a_time_whatever_page_is_asked(author_client, author, make_post, page):
    for n in range(DASHBOARD_POSTS + 3):
        make_post(title=f"Post {n:02}", published_at=None)
    response = author_client.get(reverse("blog:dashboard"), {"page": page} if page else {})
    assert response.status_code == 200
    shown = [post.title for post in response.context["posts"]]
    expected = 3 if page in ("2", "3", "0", "99999999999999999999") else DASHBOARD_POSTS  # Out of range: the last.
    assert len(shown) == expected
    if expected == DASHBOARD_POSTS:
        assert shown[0] == f"Post {DASHBOARD_POSTS + 2:02}"  # Newest first.
        assert 'rel="next"' in response.content.decode()
    assert response.context["published"] == 0 and "Page " in response.content.decode()
