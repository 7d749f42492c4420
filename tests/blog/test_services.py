import pytest
from django.db import connection
from django.utils import timezone

from blog import rendering, services
from blog.models import DailySources, DailyViews, Post
from blog.models import posts as post_models
from users.roles import Role

pytestmark = pytest.mark.django_db


def test_a_read_adds_to_total_day_and_source_once_per_visitor(post):
    day = timezone.localdate()
    totals = [
        services.post_read_record(post_id=post.pk, visitor=v, source=s)
        for v, s in [("a", ""), ("b", "x.org"), ("a", "")]
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


@pytest.mark.django_db(transaction=True)
def test_posts_are_rendered_before_any_write_transaction_never_inside_one(make_user, monkeypatch):
    """Rendering is CPU work: inside a transaction it would hold SQLite's one write lock for its whole length."""
    writer = make_user(email="w@x.org", verified=True)
    editor = make_user(email="e@x.org", verified=True, role=Role.EDITOR)
    seen = []
    real = post_models.render
    monkeypatch.setattr(
        post_models, "render", lambda text, **kw: seen.append(connection.in_atomic_block) or real(text, **kw)
    )
    post = services.post_create(author=writer, title="t", content="First *version*.", tags=["a"], publish=True)
    services.post_update(by=writer, post=post, title="t", content="Second *version*.", tags=["b"])
    services.post_unpublish(by=writer, post=post)
    services.post_publish(by=editor, post=post)
    draft = services.post_write(author=writer, title="d", content="Draft.", submit=True).post
    services.post_review_return(by=editor, post=draft, note="More.")
    assert seen == [False, False, False]  # Created, edited, the draft: each rendered once, outside.
    assert "Second <em>version</em>" in Post.objects.get(pk=post.pk).content_html


@pytest.mark.django_db(transaction=True)
def test_the_admin_renders_a_post_before_its_transaction_too(make_user, client, monkeypatch):
    owner = make_user(email="o@x.org", verified=True, role=Role.OWNER)
    post = services.post_create(author=owner, title="t", content="Old.", publish=True)
    client.force_login(owner)
    seen = []
    real = rendering._render
    monkeypatch.setattr(rendering, "_render", lambda text: seen.append(connection.in_atomic_block) or real(text))
    page = client.get(f"/admin/blog/post/{post.pk}/change/").content.decode()
    fields = {
        "author": owner.pk, "title": "t", "content": "  New *text*, typed in the admin.\r\n ", "slug": post.slug,
        "planned_slug": "", "published_at_0": "2026-01-01", "published_at_1": "10:00:00", "review_note": "",
        "csrfmiddlewaretoken": "x",
    }  # fmt: skip
    assert "csrfmiddlewaretoken" in page
    response = client.post(f"/admin/blog/post/{post.pk}/change/", fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert seen == [False]  # Rendered once, before Django's transaction; the save found it done.
    assert "New <em>text</em>" in Post.objects.get(pk=post.pk).content_html
