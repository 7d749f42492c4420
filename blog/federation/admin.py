"""Actors and their followers in the admin: seen, never made or edited by hand (the private key never shown)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from blog.federation.services import domain_block
from blog.models import ActivityDelivery, Actor, BlockedDomain, Follower, RemoteActor
from site.admin_site import DeliveryAdmin


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "follower_count", "created_at")
    search_fields = ("handle", "user__email")
    fields = ("handle", "user", "approves_follows", "public_key_pem", "created_at")
    readonly_fields = fields
    list_select_related = ("user",)

    @admin.display(description="Followers")
    def follower_count(self, actor: Actor) -> int:
        return actor.followers.accepted().count()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Actor | None = None) -> bool:
        return False


@admin.register(Follower)
class FollowerAdmin(admin.ModelAdmin):
    list_display = ("remote_id", "actor", "inbox", "state", "created_at")
    list_filter = (
        ("accepted_at", admin.EmptyFieldListFilter),
        ("unreachable_at", admin.EmptyFieldListFilter),
        "actor",
    )
    search_fields = ("remote_id", "inbox")
    readonly_fields = (
        "actor", "remote_id", "inbox", "shared_inbox", "follow_id", "created_at", "accepted_at", "unreachable_at"
    )  # fmt: skip
    list_select_related = ("actor",)

    @admin.display(description="State")
    def state(self, follower: Follower) -> str:
        if follower.accepted_at is None:
            return "waiting for the author's approval"
        if follower.unreachable_at is not None:
            return f"unreachable since {follower.unreachable_at:%Y-%m-%d}"
        return "following"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(BlockedDomain)
class BlockedDomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "reason", "created_at")
    search_fields = ("domain",)

    def save_model(self, request: HttpRequest, obj: BlockedDomain, form, change: bool) -> None:  # noqa: ANN001
        domain_block(domain=obj.domain, reason=obj.reason)


@admin.register(RemoteActor)
class RemoteActorAdmin(admin.ModelAdmin):
    """Remote servers' actors as last fetched: their state is their key and when it was fetched."""

    list_display = ("uri", "inbox", "fetched_at")
    search_fields = ("uri",)
    readonly_fields = ("uri", "key_id", "public_key_pem", "inbox", "shared_inbox", "fetched_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ActivityDelivery)
class ActivityDeliveryAdmin(DeliveryAdmin):
    """Activities owed to inboxes: sent, retrying (with the inbox's last answer) or failed."""

    list_display = ("message_id", "inbox", "state", "attempts", "created_at", "sent_at", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter))
    search_fields = ("inbox", "message_id")
    readonly_fields = ("actor", "inbox", "message_id", "activity", "created_at", "attempts", "sent_at", "failed_at")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
