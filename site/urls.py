from django.contrib import admin
from django.urls import include, path, re_path

from blog.pages.views import PageDetailView
from blog.urls import UnicodeSlug  # noqa: F401 (registers the uslug converter)
from site.pages import kept
from site.views import custom_css

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("users.urls")),
    path("", include("blog.urls")),
    # A dot no page's address has: the stylesheet never shadows a page (nor a page it).
    re_path(r"^custom-(?P<digest>[0-9a-f]{16})\.css$", custom_css, name="custom-css"),
    # Last: a page's address is never one of the above (blog.pages.services.reserved).
    path("<uslug:slug>/", kept(PageDetailView.as_view()), name="page-detail"),
]

handler400 = "site.views.bad_request"
