"""
Leaving a mailing in one click (RFC 8058), the same way for every kind of
recurring mail: a signed link bound to one kind and one recipient, headers
that let the mail program show its own "unsubscribe" button, and a page
whose GET only asks and whose POST acts.

The POST needs no cookie and no CSRF token: mail providers send it from
their own servers. The signed token in the address is the whole
authorisation, so a forged cross-site POST would need the token too.
"""

from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formataddr
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from site.tokens import TokenInvalid, unsubscribe_token_make, unsubscribe_token_read

# The kinds of recurring mail: view reports to an author, new posts to a subscriber.
REPORTS = "reports"
NEW_POSTS = "new-posts"
ONE_CLICK = "One-Click"


def unsubscribe_headers(*, url: str, list_name: str, list_local: str) -> dict[str, str]:
    """
    List-Unsubscribe (one click), List-Unsubscribe-Post and List-Id for a mail
    whose body shows `url` (unsubscribe_url): the same link in both, since a
    token made a second later would be another string.
    """
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": f"List-Unsubscribe={ONE_CLICK}",
        "List-Id": formataddr((list_name, f"{list_local}.{host}")),
    }


def unsubscribe_url(*, url_name: str, kind: str, pk: int) -> str:
    return settings.SITE_URL + reverse(url_name, kwargs={"token": unsubscribe_token_make(kind=kind, pk=pk)})


@dataclass(frozen=True)
class OneClick:
    """One kind of mail to leave: what it is called for a recipient, and how to stop it."""

    kind: str
    describe: Callable[[int], str | None]  # "new posts by Ann"; None when stopped already, or the recipient is gone.
    stop: Callable[[int], None]


def one_click_view(one_click: OneClick) -> Callable[[HttpRequest, str], HttpResponse]:
    @csrf_exempt
    def view(request: HttpRequest, token: str) -> HttpResponse:
        try:
            pk = unsubscribe_token_read(token, kind=one_click.kind)
        except TokenInvalid:
            return render(request, "unsubscribe.html", {"state": "invalid"}, status=400)
        what = one_click.describe(pk)
        if request.method == "POST":
            if request.POST.get("List-Unsubscribe") != ONE_CLICK:
                return render(request, "unsubscribe.html", {"state": "invalid", "what": what}, status=400)
            if what is not None:
                one_click.stop(pk)
            return render(request, "unsubscribe.html", {"state": "done", "what": what})
        if request.method not in ("GET", "HEAD"):
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
        return render(request, "unsubscribe.html", {"state": "ask", "what": what, "one_click": ONE_CLICK})

    return view
