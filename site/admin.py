from django.contrib import admin
from django.http import HttpRequest

from site.admin_site import ChangesPagesAdmin
from site.models import SiteSettings


@admin.register(SiteSettings)
class SiteSettingsAdmin(ChangesPagesAdmin):
    """The one settings row: changed here by Administrators (the permission says who), never added or deleted."""

    list_display = ("__str__", "registration")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SiteSettings | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):  # noqa: ANN201
        SiteSettings.objects.saved()  # A fresh site gets its row here, from the environment's first values.
        return super().get_queryset(request)
