from collections.abc import Mapping
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AdminSplitDateTime
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from huey.contrib.djhuey import HUEY

from site.health import queue_health
from site.pages import pages_changed


class QuickPublisherAdminSite(admin.AdminSite):
    site_header = "quick_publisher administration"
    site_title = "quick_publisher admin"
    index_title = "Site administration"

    # Set by users/admin.py: the site's password change view, whose old-password
    # check goes through the login throttle like every other password check.
    password_change_view = None

    def password_change(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if self.password_change_view is None:
            return super().password_change(request, extra_context)
        request.current_app = self.name
        return self.password_change_view.as_view(
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
            template_name=self.password_change_template or "registration/password_change_form.html",
        )(request)

    def get_urls(self) -> list:
        return [path("queue/", self.admin_view(self.queue_view), name="queue"), *super().get_urls()]

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return super().index(request, {"queue": queue_health(HUEY, request.user), **(extra_context or {})})

    def queue_view(self, request: HttpRequest) -> HttpResponse:
        context = {**self.each_context(request), "title": "Mail queue", "queue": queue_health(HUEY, request.user)}
        return TemplateResponse(request, "admin/queue.html", context)


class DateSafeChangeList(ChangeList):
    def get_filters(self, request: HttpRequest) -> tuple:
        # Django's date hierarchy computes the end of December 9999 (or of
        # the year 9999) as a date past year 9999 and raises: a 500 for an
        # admin's odd query string. Treat it as any other bad filter.
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_results(self, request: HttpRequest) -> None:
        # A date lookup typed into the query string (created_at__year=0)
        # passes the filters and fails only when the query is compiled.
        try:
            super().get_results(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class LabelledSplitDateTime(AdminSplitDateTime):
    """
    Django's date and time inputs, each with an accessible name: its "Date:"
    and "Time:" are text beside the inputs, not their labels (axe: critical).
    """

    def get_context(self, name: str, value: object, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        labels = (context["date_label"], context["time_label"])
        for subwidget, label in zip(context["widget"]["subwidgets"], labels, strict=True):
            subwidget["attrs"]["aria-label"] = str(label).rstrip(":")
        return context


LABELLED_DATETIME: Mapping[type[models.Field], Mapping[str, Any]] = {
    models.DateTimeField: {"widget": LabelledSplitDateTime}
}


class DateHierarchyAdmin(admin.ModelAdmin):
    """A ModelAdmin whose date hierarchy and date lookups take any date in the query string."""

    formfield_overrides = LABELLED_DATETIME

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return DateSafeChangeList


class DeliveryAdmin(DateHierarchyAdmin):
    """A list of owed mail (any Delivery): its state, and no adding by hand."""

    @admin.display(description="State")
    def state(self, row: models.Model) -> str:
        return row.delivery_state

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ChangesPagesAdmin(admin.ModelAdmin):
    """
    For models whose rows show on public pages (posts, accounts, the site's
    settings): a change or deletion made in the admin forgets every page kept
    by the page cache (site/pages.py), as the services' changes do.
    """

    formfield_overrides = LABELLED_DATETIME

    # Django's admin saves the related rows right after the object, in the
    # change form and the list's edits alike: once there covers both.
    def save_related(self, request: HttpRequest, form: object, formsets: object, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        pages_changed()

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        super().delete_model(request, obj)
        pages_changed()

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        super().delete_queryset(request, queryset)
        pages_changed()
