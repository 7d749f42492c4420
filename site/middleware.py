"""Security headers Django 5.2 does not set by itself."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from site.storage import database_checkpoint, is_write_failure, write_failure_log
from site.uploads import body_max_bytes, upload_max_bytes

# Pages use only our own stylesheet and no scripts; the admin's scripts are
# files too. Inline style attributes stay allowed for the dashboard's SVG.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        # Posts may show images from any https address (blog/rendering.py allows no other).
        "img-src 'self' data: https:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def refused(request: HttpRequest, template: str, status: int) -> HttpResponse:
    """
    A request refused before anything reads it: its page asks the database
    nothing (site.context: the environment's first values), so a flood of
    refused requests costs no query.
    """
    request.answered_early = True  # type: ignore[attr-defined]
    return render(request, template, status=status)


def request_size_limit(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Refuse a body over the cap before anything reads it (Django's own limit leaves out file parts)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # Only a multipart body can carry a file to drop (site.uploads.may_carry_a_file).
        allowed = (
            body_max_bytes(request) if request.content_type == "multipart/form-data" else upload_max_bytes(request)
        )
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE and length > allowed:
            return refused(request, "413.html", 413)
        return get_response(request)

    return middleware


NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _carries_nul(request: HttpRequest) -> bool:
    if NUL in request.path or NUL in request.META.get("QUERY_STRING", ""):
        return True
    fields = [(name, [value]) for name, value in request.COOKIES.items()] + list(request.GET.lists())
    # A view that takes a file reads its own body (its fields are its form's to check).
    if request.method == "POST" and request.content_type in FORM_TYPES and not upload_max_bytes(request):
        fields += request.POST.lists()
    return any(NUL in name or any(NUL in str(value) for value in values) for name, values in fields)


def refuse_nul(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """
    A NUL byte anywhere in a request (path, query string, cookies, form fields)
    gets a 400 before anything reads it: no page needs one, and PostgreSQL
    refuses it in any text value (a session cookie, an admin search) with an error.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        try:
            nul = _carries_nul(request)
        except RequestDataTooBig:
            # A form's fields past their cap, in a body let through for a file it may carry (may_carry_a_file).
            return refused(request, "413.html", 413)
        if nul:
            return refused(request, "400.html", 400)
        return get_response(request)

    return middleware


def security_headers(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response

    return middleware


def private_pages(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """A page made for a logged-in person (dashboard, drafts, editor, profile) is never kept by a cache."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware


class CannotSave:
    """A change the disk refused (full, I/O error): a page saying so, nothing saved, one log line a minute."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_write_failure(exception):
            return None
        write_failure_log("a request's changes", exception)
        database_checkpoint()  # Frees the WAL's space if there is any to free.
        return render(request, "503_cannot_save.html", status=503)
