"""
No form on the site takes a file but those that say so: file parts are
dropped as they pass, never kept in memory or spooled to disk. A view wrapped in `takes_a_file`
takes one, written to a temporary file as it arrives, up to its own size
(the body cap of site.middleware.request_size_limit rises to it for that
address alone).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt, csrf_protect


class NoFileUploads(FileUploadHandler):
    """
    A file part's bytes are dropped as they pass (the body is capped before
    it is read, site.middleware.request_size_limit); the fields after it are
    still read: a picture chosen on the Write page but not uploaded must not
    cut off the Publish button after it.
    """

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        # A body sent without a length is not capped before it is read: stop where a form's body would.
        allowed = body_max_bytes(self.request) if self.request is not None else 0
        if start + len(raw_data) > max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, allowed):
            raise StopUpload(connection_reset=True)
        return None

    def file_complete(self, file_size: int) -> None:
        return None


class _SizeLimited(TemporaryFileUploadHandler):
    """Django's handler to a temporary file, stopping a body that grows past the size (one sent without a length)."""

    def __init__(self, request: HttpRequest, *, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes, self.received = max_bytes, 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.request.upload_too_large = True  # type: ignore[union-attr]  # For the view to say so.
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


View = Callable[..., HttpResponse]


def takes_a_file(max_bytes: Callable[[], int], *, allowed: Callable[[HttpRequest], bool]) -> Callable[[View], View]:
    """
    Let this view take a file of up to max_bytes() bytes from whoever is
    allowed(request): anyone else gets a 403 before a byte of the body is
    read. CSRF is checked as for any form.
    """

    def decorate(view: View) -> View:
        protected = csrf_protect(view)

        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not allowed(request):
                raise PermissionDenied
            # Chosen before anything reads the body, so CSRF is checked here, after, not by the middleware.
            request.upload_too_large = False  # type: ignore[attr-defined]
            request.upload_handlers = [_SizeLimited(request, max_bytes=max_bytes())]
            return protected(request, *args, **kwargs)

        wrapped.max_upload_bytes = max_bytes  # type: ignore[attr-defined]
        return csrf_exempt(wrapped)

    return decorate


def _view_limit(request: HttpRequest, attribute: str) -> int:
    """A size the view at this address declares (0 if none), its view resolved once per request."""
    if not hasattr(request, "_limit_view"):
        try:
            request._limit_view = resolve(request.path_info).func  # type: ignore[attr-defined]
        except Resolver404:
            request._limit_view = None  # type: ignore[attr-defined]
    limit = getattr(request._limit_view, attribute, None)  # type: ignore[attr-defined]
    return limit() if limit else 0


def upload_max_bytes(request: HttpRequest) -> int:
    """The largest file the view at this address takes: 0 for every view but those wrapped in takes_a_file."""
    return _view_limit(request, "max_upload_bytes")


def may_carry_a_file(max_bytes: Callable[[], int]) -> Callable[[View], View]:
    """
    A form that takes no file but sits beside one that does (the Write page's
    picture, chosen and not uploaded, goes with Save too): its body may be as
    large as that file, whose bytes are dropped as they pass (NoFileUploads);
    its fields are read and checked as any form's.
    """

    def decorate(view: View) -> View:
        view.max_body_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return decorate


def body_max_bytes(request: HttpRequest) -> int:
    """The largest body the view at this address takes: a file's, or one it lets pass; 0 for the rest."""
    return max(upload_max_bytes(request), _view_limit(request, "max_body_bytes"))
