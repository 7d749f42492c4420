"""The search page: /search/?q=words&page=2."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from blog import search
from site.http import client_key, too_many_requests
from site.throttles import Limit, Throttled, throttle_hit

# A reader searches a few times a minute; a script asking for every word
# would keep the database busy.
SEARCH_PER_CLIENT = Limit("search:client", 30, 60)


def post_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    context: dict[str, object] = {"query": query}
    if not query:
        return render(request, "blog/post_search.html", context)
    try:
        throttle_hit((SEARCH_PER_CLIENT, client_key(request)))
    except Throttled as throttled:
        return too_many_requests(
            request, throttled, "Too many searches.", template="blog/post_search.html", context=context
        )
    page = request.GET.get("page", "1")
    try:
        context["page"] = search.posts_search(query=query, page=int(page) if page.isdecimal() and len(page) < 4 else 1)
    except search.QueryRefused as refused:
        context["message"] = str(refused)
    return render(request, "blog/post_search.html", context)
