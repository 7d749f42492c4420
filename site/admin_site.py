from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from huey.contrib.djhuey import HUEY

from site.health import queue_health


class QuickPublisherAdminSite(admin.AdminSite):
    site_header = "quick_publisher administration"
    site_title = "quick_publisher admin"
    index_title = "Site administration"

    def get_urls(self) -> list:
        return [path("queue/", self.admin_view(self.queue_view), name="queue"), *super().get_urls()]

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return super().index(request, {"queue": queue_health(HUEY), **(extra_context or {})})

    def queue_view(self, request: HttpRequest) -> HttpResponse:
        context = {**self.each_context(request), "title": "Mail queue", "queue": queue_health(HUEY)}
        return TemplateResponse(request, "admin/queue.html", context)
