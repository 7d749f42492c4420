"""
Who may do what: the one module that says it. Roles are Django groups (the
Owner is the superuser), each carrying Django permissions, so the admin
honours the same rules as the site's pages. Views and services ask the
functions below; a template only shows what they allow.

- Contributor: writes and edits their own drafts, submits them for review;
  cannot publish or schedule, nor edit a post once it is public.
- Author: publishes and schedules their own posts.
- Editor: publishes, schedules, unpublishes and edits anyone's posts; the
  review queue; imports other blogs' exports; the site's pages; invites and suspends
  Contributors and Authors.
- Administrator: everything, site settings, roles, the admin.
- Owner: the superuser (`createsuperuser`); ownership can be handed over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    CONTRIBUTOR = "contributor", "Contributor"
    AUTHOR = "author", "Author"
    EDITOR = "editor", "Editor"
    ADMINISTRATOR = "administrator", "Administrator"
    OWNER = "owner", "Owner"


RANK = {role: rank for rank, role in enumerate(Role)}
# The roles held through a group of the same name (the Owner is the superuser flag).
GROUP_ROLES = (Role.CONTRIBUTOR, Role.AUTHOR, Role.EDITOR, Role.ADMINISTRATOR)

# Each role's permissions, as "app_label.codename". An Administrator holds
# every permission there is (roles_sync gives them all).
_CONTRIBUTOR = {"blog.add_post"}
_AUTHOR = _CONTRIBUTOR | {"blog.publish_post"}
_EDITOR = _AUTHOR | {
    "blog.edit_any_post",
    "blog.review_post",
    "blog.import_posts",
    "blog.manage_pages",
    "users.invite_user",
    "users.suspend_user",
}
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.CONTRIBUTOR: frozenset(_CONTRIBUTOR),
    Role.AUTHOR: frozenset(_AUTHOR),
    Role.EDITOR: frozenset(_EDITOR),
}
ALL_PERMISSIONS = Role.ADMINISTRATOR  # Marks the role that gets every permission.


class Actor(Protocol):
    """Whoever acts: an account, or a visitor (AnonymousUser), as Django's auth gives them."""

    @property
    def pk(self) -> Any: ...  # noqa: ANN401 (a model's pk)

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def groups(self) -> Any: ...  # noqa: ANN401 (a related manager, or Django's empty one for visitors)

    is_active: bool
    is_superuser: bool

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...  # noqa: ANN401


class NotAllowed(PermissionDenied):
    """The user's role may not do this: a 403, and nothing changed."""


class PictureLike(Protocol):
    """What a rule needs of a picture."""

    owner_id: int | None


class PostLike(Protocol):
    """What a rule needs of a post (users never imports blog)."""

    author_id: int
    published_at: datetime | None


def role_of(user: Actor) -> Role | None:
    """The user's role: the highest of their role groups; None for a visitor or an account with none."""
    if not user.is_authenticated:
        return None
    if getattr(user, "is_superuser", False):
        return Role.OWNER
    # Read once per user object (a request's); a role change is seen on the next request.
    memo = vars(user)
    if "_role" not in memo:
        names = {group.name for group in user.groups.all()}  # Prefetched on lists (the team page, the admin).
        held = [role for role in GROUP_ROLES if role.label in names]
        memo["_role"] = held[-1] if held else None
    return memo["_role"]


def role_rank(user: Actor) -> int:
    role = role_of(user)
    return -1 if role is None else RANK[role]


def at_least(user: Actor, role: Role) -> bool:
    return user.is_active and role_rank(user) >= RANK[role]


@dataclass(frozen=True)
class Quota:
    """How much one account of a role may write (settings.QUOTAS); None where a role has no limit."""

    posts_per_day: int
    publishes_per_day: int
    drafts_kb: int
    images_mb: int


def quota(user: Actor) -> Quota | None:
    role = role_of(user)
    limits = settings.QUOTAS.get(role.value) if role else settings.QUOTAS["contributor"]
    return Quota(**limits) if limits else None


def may_write(user: Actor) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("blog.add_post")


def may_publish(user: Actor) -> bool:
    """Publish or schedule their own posts (an unverified address is a separate check, for the message)."""
    return user.is_authenticated and user.is_active and user.has_perm("blog.publish_post")


def may_edit_any(user: Actor) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("blog.edit_any_post")


def may_edit(user: Actor, post: PostLike) -> bool:
    """Change, delete, submit or unpublish this post."""
    if may_edit_any(user):
        return True
    if not may_write(user) or post.author_id != user.pk:
        return False
    return may_publish(user) or post.published_at is None


def may_change_picture(user: Actor, picture: PictureLike) -> bool:
    """Change a picture's alt text or delete it: its owner while they write, and Editors and up."""
    return may_write(user) and (picture.owner_id == user.pk or may_edit_any(user))


def may_import(user: Actor) -> bool:
    """Import another blog's export: posts for anyone, published with their old dates (Editors and up)."""
    return user.is_authenticated and user.is_active and user.has_perm("blog.import_posts")


def may_manage_pages(user: Actor) -> bool:
    """Write, publish and unpublish the site's pages (About, Contact): Editors and up."""
    return user.is_authenticated and user.is_active and user.has_perm("blog.manage_pages")


def may_change_site(user: Actor) -> bool:
    """Change the site's settings (its name, look, navigation, who may sign up): Administrators and up."""
    return user.is_authenticated and user.is_active and user.has_perm("site.change_sitesettings")


def may_review(user: Actor) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("blog.review_post")


def reviewers() -> models.QuerySet:
    """Active accounts whose role reviews submitted posts (Editors, Administrators, Owners)."""
    may = Q(is_superuser=True) | Q(
        groups__permissions__codename="review_post", groups__permissions__content_type__app_label="blog"
    )
    return get_user_model().objects.filter(may, is_active=True).distinct()


def writers() -> models.QuerySet:
    """Active accounts whose role writes posts: whom imported posts may go to."""
    may = Q(is_superuser=True) | Q(
        groups__permissions__codename="add_post", groups__permissions__content_type__app_label="blog"
    )
    return get_user_model().objects.filter(may, is_active=True).distinct()


def roles_invitable_by(user: Actor) -> list[Role]:
    if not (user.is_authenticated and user.is_active and user.has_perm("users.invite_user")):
        return []
    if at_least(user, Role.ADMINISTRATOR):
        return [Role.CONTRIBUTOR, Role.AUTHOR, Role.EDITOR, Role.ADMINISTRATOR]
    return [Role.CONTRIBUTOR, Role.AUTHOR]


def may_invite(user: Actor, role: str) -> bool:
    return role in roles_invitable_by(user)


def may_suspend(user: Actor, target: Actor) -> bool:
    """Suspend or reactivate `target`: Editors those below them who write, Administrators anyone but the Owner."""
    if not (user.is_authenticated and user.is_active and user.has_perm("users.suspend_user")):
        return False
    if target.pk == user.pk or role_of(target) is Role.OWNER:
        return False
    if at_least(user, Role.ADMINISTRATOR):
        return role_rank(target) < role_rank(user) or role_of(user) is Role.OWNER
    return role_rank(target) <= RANK[Role.AUTHOR]


def roles_assignable_by(user: Actor, target: Actor) -> list[Role]:
    """The roles `user` may give `target`: Administrators, up to their own, to anyone below them."""
    if not (user.is_authenticated and user.is_active and user.has_perm("users.change_role")):
        return []
    if target.pk == user.pk or role_of(target) is Role.OWNER:
        return []
    if role_of(user) is not Role.OWNER and role_rank(target) >= role_rank(user):
        return []
    return [role for role in GROUP_ROLES if RANK[role] <= role_rank(user)]


def roles_sync(*, using: str = "default") -> None:
    """
    Make each role's group hold exactly its permissions (run after every
    migrate): the Administrator's every permission there is, the others what
    PERMISSIONS says. Permissions are made first, whatever order the apps migrated in.
    """
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    permissions = Permission.objects.using(using).select_related("content_type")
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in permissions}
    for role in GROUP_ROLES:
        group, _ = Group.objects.using(using).get_or_create(name=role.label)
        wanted = list(by_name.values()) if role is ALL_PERMISSIONS else [by_name[name] for name in PERMISSIONS[role]]
        group.permissions.set(wanted)
