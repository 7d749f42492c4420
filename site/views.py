"""Site-wide error pages that must render whatever the request holds."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Django's own handler runs the CSRF check first (requires_csrf_token),
    # which reads the body again and re-raises what made the request bad, such
    # as a form in a charset other than UTF-8: a 500 instead of a 400.
    return render(request, "400.html", status=400)
