"""Quotas per role: at the limit a clear message, nothing written, nothing lost."""

import pytest
from django.test import Client

from blog import services
from blog.models import Post
from users.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def contributor(make_user):
    return make_user(email="c@x.org", verified=True, role=Role.CONTRIBUTOR)


def test_a_days_posts_stop_at_the_roles_quota_and_the_text_comes_back(settings, contributor):
    settings.QUOTAS = {**settings.QUOTAS, "contributor": {**settings.QUOTAS["contributor"], "posts_per_day": 2}}
    client = Client()
    client.force_login(contributor)
    for n in range(2):
        assert client.post("/write/", {"title": f"Draft {n}", "content": "x"}).status_code == 302
    response = client.post("/write/", {"title": "One too many", "content": "Every word kept."})
    page = response.content.decode()
    assert response.status_code == 429 and "the most your role may" in page
    assert "Every word kept." in page  # Nothing lost: the form comes back as typed.
    assert Post.objects.count() == 2


def test_drafts_stop_at_their_total_size(settings, contributor):
    settings.QUOTAS = {**settings.QUOTAS, "contributor": {**settings.QUOTAS["contributor"], "drafts_kb": 1}}
    services.post_create(author=contributor, title="Small", content="x" * 600)
    with pytest.raises(services.QuotaReached, match="1 KB"):
        services.post_create(author=contributor, title="Big", content="y" * 600)
    draft = Post.objects.get()
    draft.content = "x" * 1200  # Growing the one draft past it is refused too.
    with pytest.raises(services.QuotaReached):
        services.post_update(by=contributor, post=draft, title="Small", content="x" * 1200)
    assert len(Post.objects.get().content) == 600


def test_publishing_stops_at_the_authors_quota_but_an_editors_decision_has_none(settings, make_user):
    settings.QUOTAS = {**settings.QUOTAS, "author": {**settings.QUOTAS["author"], "publishes_per_day": 1}}
    author = make_user(email="a@x.org", verified=True, role=Role.AUTHOR)
    editor = make_user(email="e@x.org", verified=True, role=Role.EDITOR)
    services.post_create(author=author, title="One", content="x", publish=True)
    with pytest.raises(services.QuotaReached):
        services.post_create(author=author, title="Two", content="x", publish=True)
    draft = services.post_create(author=author, title="Three", content="x")
    with pytest.raises(services.QuotaReached):
        services.post_publish(by=author, post=draft)
    services.post_publish(by=editor, post=draft)
    assert Post.objects.published().count() == 2


def test_editors_and_owners_have_no_quota(settings, make_user):
    settings.QUOTAS = {role: {key: 0 for key in limits} for role, limits in settings.QUOTAS.items()}
    for role in (Role.EDITOR, Role.ADMINISTRATOR, Role.OWNER):
        writer = make_user(email=f"{role.value}@x.org", verified=True, role=role)
        services.post_create(author=writer, title="Unlimited", content="x" * 5000, publish=True)
    assert Post.objects.published().count() == 3
