"""
The editor's two addresses for its script (site/static/site/editor.js):
autosave and the live preview. JSON in and out; a visitor whose session
ended gets a 401 saying where to log in, never the login page in place of an answer.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from blog import services
from blog.editor.forms import AutosaveForm, LivePreviewForm
from blog.editor.services import post_autosave
from blog.models import Post
from blog.rendering import MARKDOWN
from blog.rendering import render as markdown_render
from blog.services import NotADraft, post_version_set_aside
from blog.views import post_to_change
from site.throttles import Limit, Throttled, throttle_hit
from users.roles import NotAllowed

# A tab saves a few seconds after typing stops, and at most every few
# seconds while typing; two tabs and a long session stay well inside these.
AUTOSAVE_PER_ACCOUNT = Limit("autosave:user", 300, 600)
LIVE_PREVIEW_PER_ACCOUNT = Limit("live-preview:user", 300, 600)


def _logged_out() -> JsonResponse:
    return JsonResponse({"error": "You are logged out.", "login": reverse("users:login")}, status=401)


def _throttled(throttled: Throttled) -> JsonResponse:
    answer = JsonResponse({"error": f"Too many saves: {throttled.wait_text}."}, status=429)
    answer["Retry-After"] = str(throttled.retry_after)
    return answer


def _invalid(form: forms.Form) -> JsonResponse:
    return JsonResponse({"error": " ".join(str(e) for errors in form.errors.values() for e in errors)}, status=400)


def _post_of(request: HttpRequest, slug: str) -> Post | None:
    """The post to change: Http404 or PermissionDenied as the edit page has them (answered in JSON by the views)."""
    return post_to_change(request, slug) if slug else None


def _refused(exc: Exception) -> JsonResponse:
    if isinstance(exc, Http404):
        return JsonResponse({"error": "No such post of yours."}, status=404)
    return JsonResponse({"error": "You may not change this post."}, status=403)


def _saved(post: Post) -> dict:
    return {
        "post": post.slug,
        "revision": post.revision,
        "saved_at": timezone.localtime(post.updated_at).isoformat(timespec="seconds"),
        "words": post.word_count,
        "edit_url": reverse("blog:post-edit", kwargs={"slug": post.slug}),
    }


@require_http_methods(["GET", "POST"])
def autosave(request: HttpRequest) -> JsonResponse:
    """
    GET: a fresh CSRF token (a tab whose session was renewed elsewhere asks
    for one). POST: save the draft as typed; 409 with the saved version if
    it changed in another tab, or if it is not a draft (kept in the browser).
    """
    if not request.user.is_authenticated:
        return _logged_out()
    if request.method == "GET":
        return JsonResponse({"csrf": get_token(request)})
    form = AutosaveForm(request.POST)
    if not form.is_valid():
        return _invalid(form)
    data = form.cleaned_data
    if data["account"] is not None and data["account"] != request.user.pk:
        message = "Another account is logged in here now: this page's text is kept in the browser, not saved."
        return JsonResponse({"error": message, "account": True}, status=409)
    try:
        post = _post_of(request, data["post"])
    except (Http404, PermissionDenied) as exc:
        return _refused(exc)
    if post is None and not (data["title"] or data["content"].strip()):
        return JsonResponse({"error": "Nothing to save yet."}, status=400)
    try:
        throttle_hit((AUTOSAVE_PER_ACCOUNT, request.user.pk))
        if post is not None and data["set_aside"]:
            post_version_set_aside(
                by=request.user, post=post, title=data["title"], content=data["content"], revision=data["revision"]
            )
            return JsonResponse({"set_aside": True})
        saved = post_autosave(
            by=request.user,
            post=post,
            title=data["title"],
            content=data["content"],
            tags=data["tags"],
            revision=data["revision"],
            overwrite=data["overwrite"],
            editor_key=data["editor_key"],
        )
    except Throttled as throttled:
        return _throttled(throttled)
    except NotADraft:
        return JsonResponse({"error": "Not a draft: saved only with the Save button.", "draft": False}, status=409)
    except services.Conflict as conflict:
        theirs = conflict.saved
        return JsonResponse(
            {
                "error": "Saved in another tab or by someone else since this text was loaded.",
                "conflict": {
                    "title": theirs.title,
                    "content": theirs.content,
                    "tags": ", ".join(theirs.tags.values_list("name", flat=True)),
                    "revision": theirs.revision,
                    "saved_at": timezone.localtime(theirs.updated_at).isoformat(timespec="seconds"),
                },
            },
            status=409,
        )
    except services.QuotaReached as reached:
        return JsonResponse({"error": str(reached)}, status=429)
    except NotAllowed:
        return JsonResponse({"error": "Your role may not write posts."}, status=403)
    answer = {**_saved(saved.post), "created": saved.created}
    if form.tags_refused:
        answer["tags_refused"] = form.tags_refused  # The text is saved; the tags wait until they are valid.
    return JsonResponse(answer)


@require_POST
def live_preview(request: HttpRequest) -> JsonResponse:
    """The text rendered exactly as saving would render it, for the preview beside it."""
    if not request.user.is_authenticated:
        return _logged_out()
    form = LivePreviewForm(request.POST)
    if not form.is_valid():
        return _invalid(form)
    try:
        post = _post_of(request, form.cleaned_data["post"])
    except (Http404, PermissionDenied) as exc:
        return _refused(exc)
    try:
        throttle_hit((LIVE_PREVIEW_PER_ACCOUNT, request.user.pk))
    except Throttled as throttled:
        return _throttled(throttled)
    rendered = markdown_render(form.cleaned_data["content"], markup=post.markup if post else MARKDOWN)
    return JsonResponse({"html": rendered.html, "words": rendered.words})
