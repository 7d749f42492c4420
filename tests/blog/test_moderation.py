"""A suspended or deactivated account's posts are public nowhere, and all of it comes back when it is active again."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from blog.models import Post, PostMail, Subscriber
from blog.services import post_tags_set
from site.tasks import deliveries_reconcile_task
from tests.sitemap import sitemap_locs
from users import team
from users.roles import Role

pytestmark = pytest.mark.django_db

PUBLIC = ["/", "/feed/", "/feed/atom/", "/rss/", "/atom.xml"]


@pytest.fixture
def editor(make_user):
    return make_user(email="editor@x.org", verified=True, role=Role.EDITOR)


@pytest.fixture
def tagged(make_post):
    post = make_post(title="Tagged and public", content="Body text.")
    post_tags_set(post=post, names=["moderation"])
    return post


def _everywhere(client, post):
    """Every public place a post shows: lists, feeds, the sitemap, its author's and tag's pages, its own page."""
    author_pages = [f"/authors/{post.author_id}/", f"/authors/{post.author_id}/feed/"]
    tag_pages = ["/tags/moderation/", "/tags/moderation/feed/"]
    shown = {}
    for path in [*PUBLIC, *author_pages, *tag_pages]:
        response = client.get(path)
        shown[path] = response.status_code == 200 and post.title in response.content.decode()
    # The sitemap lists addresses, not titles.
    shown["sitemap"] = any(loc.endswith(post.get_absolute_url()) for loc in sitemap_locs(client))
    shown["post"] = client.get(post.get_absolute_url()).status_code == 200
    return shown


def _admin_deactivate(user, *, by):
    """Django's own switch: "Active" unticked on the account's page in the admin."""
    admin = Client()
    admin.force_login(by)
    assert admin.get(f"/admin/users/user/{user.pk}/change/").status_code == 200
    joined = timezone.localtime(user.date_joined)
    form = {
        "email": user.email,
        "display_name": user.display_name,
        "is_verified": "on",
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "review_mail": user.review_mail,
        "report_frequency": user.report_frequency,
        "verifications-TOTAL_FORMS": "0",
        "verifications-INITIAL_FORMS": "0",
    }
    response = admin.post(f"/admin/users/user/{user.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()
    user.refresh_from_db()
    assert not user.is_active


@pytest.mark.parametrize("how", ["suspend", "deactivate"])
def test_a_suspended_or_deactivated_author_vanishes_from_every_public_place_and_comes_back(
    client, editor, author, tagged, how, make_user
):
    assert all(_everywhere(client, tagged).values())
    if how == "suspend":
        team.user_suspend(by=editor, user=author)
    else:
        _admin_deactivate(author, by=make_user(email="boss@x.org", verified=True, is_staff=True, is_superuser=True))
    hidden = _everywhere(client, tagged)
    assert not any(hidden.values()), hidden
    assert client.get(tagged.get_absolute_url()).status_code == 404
    team.user_reactivate(by=editor, user=author)
    assert all(_everywhere(client, tagged).values())


def test_a_suspended_authors_scheduled_post_and_its_mail_wait_for_reactivation(editor, author, make_post):
    Subscriber.objects.create(author=author, email="reader@x.org", confirmed_at=timezone.now() - timedelta(days=2))
    scheduled = make_post(title="Later", published_at=timezone.now() - timedelta(minutes=1))
    Post.objects.filter(pk=scheduled.pk).update(subscribers_owed_at=None)
    team.user_suspend(by=editor, user=author)
    deliveries_reconcile_task.call_local()
    assert not PostMail.objects.exists()  # Its time came while suspended: no mail goes.
    assert not Post.objects.published().filter(pk=scheduled.pk).exists()
    team.user_reactivate(by=editor, user=author)
    deliveries_reconcile_task.call_local()
    assert PostMail.objects.sent().count() == 1


def test_mail_owed_before_a_suspension_is_not_sent(editor, author, post):
    subscriber = Subscriber.objects.create(
        author=author, email="reader@x.org", confirmed_at=timezone.now() - timedelta(days=2)
    )
    owed = PostMail.objects.create(post=post, subscriber=subscriber)
    team.user_suspend(by=editor, user=author)
    assert not PostMail.objects.owed().filter(pk=owed.pk).exists()


def test_a_suspended_account_cannot_log_in_or_act(editor, author):
    client = Client()
    client.force_login(author)
    team.user_suspend(by=editor, user=author)
    assert client.get("/write/").status_code == 302  # Logged out: Django refuses an inactive account's session.


def test_editors_suspend_only_contributors_and_authors(make_user, editor):
    other_editor = make_user(email="e2@x.org", verified=True, role=Role.EDITOR)
    admin = make_user(email="admin@x.org", verified=True, role=Role.ADMINISTRATOR)
    owner = make_user(email="owner@x.org", verified=True, role=Role.OWNER)
    for target in (other_editor, admin, owner, editor):
        with pytest.raises(team.NotAllowed):
            team.user_suspend(by=editor, user=target)
    team.user_suspend(by=admin, user=other_editor)
    with pytest.raises(team.NotAllowed):
        team.user_suspend(by=admin, user=owner)
    assert type(owner).objects.get(pk=owner.pk).is_active


def test_deleting_an_account_takes_its_posts(make_user, author, post):
    admin = make_user(email="admin@x.org", verified=True, role=Role.ADMINISTRATOR)
    editor = make_user(email="editor2@x.org", verified=True, role=Role.EDITOR)
    with pytest.raises(team.NotAllowed):
        team.user_delete(by=editor, user=author)
    team.user_delete(by=admin, user=author)
    assert not Post.objects.exists()
    assert Group.objects.filter(name="Author").exists()
