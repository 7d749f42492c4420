from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from blog.models import Report

pytestmark = pytest.mark.django_db


def test_post_admin_has_prepopulated_slug_and_readonly_views(admin_client, post):
    page = admin_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert "prepopulated" in page
    assert 'name="view_count"' not in page
    assert "View on site" in page  # A post has a page on the site; bookkeeping rows do not.


def test_post_state_filter(admin_client, post, make_post):
    make_post(title="Unfinished", published_at=None)
    make_post(title="Scheduled", published_at=timezone.now() + timedelta(days=1))
    url = reverse("admin:blog_post_changelist")
    drafts = admin_client.get(url, {"state": "draft"}).content.decode()
    published = admin_client.get(url, {"state": "published"}).content.decode()
    assert "Unfinished" in drafts and "Scheduled" in drafts and "Hello world" not in drafts
    assert "Hello world" in published and "Unfinished" not in published and "Scheduled" not in published


def test_reports_have_no_view_on_site_button(admin_client, author):
    report = Report.objects.create(author=author, day=timezone.localdate() - timedelta(days=1))
    page = admin_client.get(reverse("admin:blog_report_change", args=[report.pk])).content.decode()
    assert "View on site" not in page
