"""
Pictures' files from DATA_DIR/media, by the web process, as WhiteNoise serves
static files: before sessions, the database and the page cache, so a
picture costs a file read and nothing else. Behind the proxy of the README's
deploy, Caddy serves the same files with the same headers and this is not
reached. Past one box (MEDIA_S3_BUCKET) the bucket serves them.
"""

from __future__ import annotations

from collections.abc import Callable
from posixpath import splitext

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.http import FileResponse, HttpRequest, HttpResponseNotAllowed, HttpResponseNotFound
from django.http.response import HttpResponseBase

from blog.models.media import CONTENT_TYPES
from blog.pictures import PICTURE_FILE

# A file is only ever a picture: opened as a page, it may run nothing.
FILE_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "X-Content-Type-Options": "nosniff",
}


def media_files(get_response: Callable[[HttpRequest], HttpResponseBase]) -> Callable[[HttpRequest], HttpResponseBase]:
    prefix = settings.MEDIA_URL if settings.MEDIA_URL.startswith("/") else None

    def middleware(request: HttpRequest) -> HttpResponseBase:
        if prefix is None or not request.path_info.startswith(prefix):
            return get_response(request)
        storage = storages["media"]
        name = request.path_info[len(prefix) :]
        if not isinstance(storage, FileSystemStorage) or not PICTURE_FILE.fullmatch(name):
            return HttpResponseNotFound("Not found.", content_type="text/plain")
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        try:
            file = open(storage.path(name), "rb")  # noqa: SIM115 (the response closes it)
        except OSError:
            return HttpResponseNotFound("Not found.", content_type="text/plain")
        response = FileResponse(file, content_type=CONTENT_TYPES[splitext(name)[1][1:]])
        for header, value in FILE_HEADERS.items():
            response[header] = value
        return response

    return middleware
