"""Site-wide error pages that must render whatever the request holds, and the Administrator's stylesheet."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from site.models import site_settings


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Django's own handler runs the CSRF check first (requires_csrf_token),
    # which reads the body again and re-raises what made the request bad, such
    # as a form in a charset other than UTF-8: a 500 instead of a 400.
    return render(request, "400.html", status=400)


@require_safe
def custom_css(request: HttpRequest, digest: str) -> HttpResponse:
    """
    The Administrator's stylesheet, as its own file at an address made from
    its content: kept by browsers for a year, and a changed one is a new address.
    """
    site = site_settings()
    if not site.custom_css_digest or digest != site.custom_css_digest:
        raise Http404("No such stylesheet.")
    response = HttpResponse(site.custom_css.strip(), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
