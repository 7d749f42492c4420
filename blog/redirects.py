"""
Old addresses keep working: a post imported from another blog answers at
the addresses it had there (blog.models.OldAddress) with a permanent
redirect, while it is public. Asked only when nothing here answers (a 404),
and for WordPress's `/?p=123`, which the front page would otherwise answer.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect

from blog.models import OldAddress, Post, published_q

# WordPress answers these on any permalink setting.
_WORDPRESS_IDS = ("p", "page_id")


def _post_at(path: str) -> Post | None:
    candidates = {path, path.rstrip("/") or "/", path if path.endswith("/") else f"{path}/"}
    # The rule for "public" on the joined post: an IN of every published post scanned them all.
    found = OldAddress.objects.filter(published_q(prefix="post__"), path__in=candidates).select_related("post")
    old = found.first()
    return old.post if old is not None else None


def old_addresses(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return get_response(request)
        if request.path in ("/", "/index.php"):
            for name in _WORDPRESS_IDS:
                value = request.GET.get(name, "")
                if (
                    value.isascii()
                    and value.isdigit()
                    and len(value) <= 20
                    and (post := _post_at(f"/?{name}={int(value)}"))
                ):
                    return HttpResponsePermanentRedirect(post.get_absolute_url())
        response = get_response(request)
        if response.status_code == 404 and len(request.path) <= 500 and (post := _post_at(request.path)):
            return HttpResponsePermanentRedirect(post.get_absolute_url())
        return response

    return middleware
