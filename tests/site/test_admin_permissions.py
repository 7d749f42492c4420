"""The admin honours the same roles: every action declares its permission, and pages show only what staff may see."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from blog.models import PostMail, Subscriber
from users.models import User
from users.roles import Role

pytestmark = pytest.mark.django_db


def _staff(make_user, email, codenames):
    user = make_user(email=email, verified=True, is_staff=True, role=None)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def _state():
    return (
        sorted(User.objects.values_list("pk", "is_active", "is_verified", "is_staff", "is_superuser")),
        sorted(User.objects.filter(groups__isnull=False).values_list("pk", "groups__name")),
        sorted(Subscriber.objects.values_list("pk", "unsubscribed_at")),
    )


@pytest.fixture
def rows(make_user, author, post):
    make_user(email="victim@x.org", role=Role.CONTRIBUTOR)
    Subscriber.objects.create(author=author, email="reader@x.org", confirmed_at=timezone.now())


def test_every_admin_action_declares_the_permission_it_needs():
    for model, model_admin in admin.site._registry.items():
        for name in model_admin.actions or ():
            action = getattr(model_admin, name) if isinstance(name, str) else name
            assert getattr(action, "allowed_permissions", None), f"{model.__name__}: action {name} declares none"


def test_view_only_staff_can_run_no_action(make_user, rows):
    views = [f"view_{model._meta.model_name}" for model in admin.site._registry]
    client = _staff(make_user, "viewer@x.org", views)
    for model, model_admin in admin.site._registry.items():
        changelist = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(changelist, follow=True).status_code == 200, changelist  # The site settings: to its one row.
        pks = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)[:5]]
        names = [name if isinstance(name, str) else name.__name__ for name in (model_admin.actions or ())]
        for name in [*names, "delete_selected"]:
            before = _state()
            response = client.post(
                changelist, {"action": name, ACTION_CHECKBOX_NAME: pks, "confirmed": "yes", "post": "yes"}
            )
            assert response.status_code in (200, 302, 403), (changelist, name)
            assert _state() == before, (changelist, name)


def test_staff_without_permissions_see_no_addresses_on_the_queue_page(make_user, author, post):
    subscriber = Subscriber.objects.create(author=author, email="secret-reader@x.org", confirmed_at=timezone.now())
    PostMail.objects.create(post=post, subscriber=subscriber, last_error="SMTPServerDisconnected")
    bare = _staff(make_user, "bare@x.org", [])
    for page in ("/admin/", "/admin/queue/"):
        assert "secret-reader@x.org" not in bare.get(page).content.decode()
    allowed = _staff(make_user, "mailman@x.org", ["view_postmail"])
    assert "secret-reader@x.org" in allowed.get("/admin/queue/").content.decode()


def test_an_administrator_cannot_make_an_owner_or_touch_one(make_user):
    admin_user = make_user(email="admin@x.org", verified=True, role=Role.ADMINISTRATOR)
    owner = make_user(email="owner@x.org", verified=True, role=Role.OWNER)
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/admin/users/user/{admin_user.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="groups"' not in page  # Shown, not editable.
    changelist = "/admin/users/user/"
    client.post(changelist, {"action": "suspend", ACTION_CHECKBOX_NAME: [owner.pk]})
    client.post(changelist, {"action": "make_contributor", ACTION_CHECKBOX_NAME: [owner.pk]})
    owner.refresh_from_db()
    assert owner.is_active and owner.is_superuser


def test_an_administrator_cannot_take_over_or_delete_the_owner_or_a_peer(make_user):
    owner = make_user(email="owner@x.org", verified=True, role=Role.OWNER)
    peer = make_user(email="peer@x.org", verified=True, role=Role.ADMINISTRATOR)
    writer = make_user(email="writer@x.org", verified=True, role=Role.AUTHOR)
    client = Client()
    client.force_login(make_user(email="admin@x.org", verified=True, role=Role.ADMINISTRATOR))
    new_password = {
        "password1": "taken-over-passphrase-9",
        "password2": "taken-over-passphrase-9",
        "usable_password": "true",
    }
    for target in (owner, peer):
        assert client.post(f"/admin/users/user/{target.pk}/password/", new_password).status_code == 403
        assert client.post(f"/admin/users/user/{target.pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.post(f"/admin/users/user/{target.pk}/change/", {"email": "mine@x.org"}).status_code == 403
    client.post("/admin/users/user/", {"action": "delete_selected", ACTION_CHECKBOX_NAME: [owner.pk], "post": "yes"})
    owner.refresh_from_db()
    assert owner.check_password("a-long-enough-passphrase-42") and owner.email == "owner@x.org"
    assert User.objects.filter(pk__in=[owner.pk, peer.pk]).count() == 2
    # Below them, as the role rules say: an Author's page opens, and a new address must be verified again.
    assert client.get(f"/admin/users/user/{writer.pk}/change/").status_code == 200


def test_an_account_made_in_the_admin_starts_as_a_contributor(admin_client):
    response = admin_client.post(
        "/admin/users/user/add/",
        {
            "email": "new@x.org",
            "password1": "a-long-enough-passphrase-42",
            "password2": "a-long-enough-passphrase-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert User.objects.get(email="new@x.org").role == "Contributor"
