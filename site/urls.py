from django.contrib import admin
from django.urls import include, path

from blog.pages.views import PageDetailView
from blog.urls import UnicodeSlug  # noqa: F401 (registers the uslug converter)
from site.pages import kept

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("users.urls")),
    path("", include("blog.urls")),
    # Last: a page's address is never one of the above (blog.pages.services.reserved).
    path("<uslug:slug>/", kept(PageDetailView.as_view()), name="page-detail"),
]

handler400 = "site.views.bad_request"
