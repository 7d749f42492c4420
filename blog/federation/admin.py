"""Actors and their followers in the admin: seen, never made or edited by hand (the private key never shown)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from blog.models import Actor, Follower


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "follower_count", "created_at")
    search_fields = ("handle", "user__email")
    fields = ("handle", "user", "public_key_pem", "created_at")
    readonly_fields = fields
    list_select_related = ("user",)

    @admin.display(description="Followers")
    def follower_count(self, actor: Actor) -> int:
        return actor.followers.count()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Actor | None = None) -> bool:
        return False


@admin.register(Follower)
class FollowerAdmin(admin.ModelAdmin):
    list_display = ("remote_id", "actor", "inbox", "created_at")
    list_filter = ("actor",)
    search_fields = ("remote_id",)
    readonly_fields = ("actor", "remote_id", "inbox", "shared_inbox", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
