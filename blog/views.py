import re
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import Truncator
from django.views.decorators.http import require_POST
from django.views.generic import DetailView

from blog import meta, readers, services
from blog.charts import daily_bars
from blog.editor.services import autosaves_to_server, post_begun
from blog.export import posts_zip
from blog.federation import views as federation_views
from blog.federation.documents import wants_activity_json
from blog.forms import PostForm, SubscribeForm
from blog.models import (
    VERSIONS_KEPT,
    DailySources,
    DailyViews,
    Follower,
    Post,
    Reaction,
    Report,
    Subscriber,
    Tag,
    authors,
    published_q,
)
from blog.pagination import KeysetListView
from blog.rendering import MARKDOWN
from blog.rendering import render as markdown_render
from site import pages
from site.http import too_many_requests
from site.models import site_settings
from site.throttles import Limit, Throttled, throttle_hit
from site.uploads import may_carry_a_file
from users import roles

CHART_DAYS = 30
TOP_POSTS = 5
TOP_SOURCES = 10
DASHBOARD_POSTS = 25
# Rendering costs CPU: a writer previews a few times a minute at most, a script would not stop.
PREVIEW_PER_ACCOUNT = Limit("preview:user", 60, 600)
# Every save renders too (within blog.highlighting's budget): a writer saves
# every few seconds at the busiest, a loop of saves would keep a worker busy.
SAVE_PER_ACCOUNT = Limit("save:user", 120, 600)
SUBMIT_PER_ACCOUNT = Limit("submit:user", 10, 3600)
VERIFY_FIRST = "Verify your email address before publishing: follow the link we mailed you, or ask for a new one."


class PostListView(KeysetListView):
    template_name = "blog/post_list.html"

    def get_queryset(self):
        return Post.objects.published().select_related("author").prefetch_related("tags")

    def canonical_path(self) -> str:
        return reverse("blog:post-list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(subscribe_form=SubscribeForm(), **kwargs)


class PostDetailView(DetailView):
    template_name = "blog/post_detail.html"

    def get_queryset(self):
        return Post.objects.visible_to(self.request.user).select_related("author")

    def get_context_data(self, **kwargs):
        post, user = self.object, self.request.user
        canonical_url = settings.SITE_URL + post.get_absolute_url()
        may = {
            "edit": roles.may_edit(user, post),
            "publish": roles.may_edit(user, post) and roles.may_publish(user),
            "submit": post.author_id == user.pk and post.published_at is None and not post.submitted_at,
            "review": roles.may_review(user) and post.submitted_at is not None and post.published_at is None,
        }
        if post.is_published:
            kwargs.update(image_url=meta.post_image(post), json_ld=meta.post_json_ld(post))
        return super().get_context_data(canonical_url=canonical_url, may=may, **kwargs)

    def get_object(self, queryset=None):
        post = super().get_object(queryset)
        if post.is_published:
            # Served from the page cache later, this page counts its read the same way.
            pages.hit_set(self.request, "read", post.pk)
        if readers.read_counts(self.request, post):
            total = readers.read_take(self.request, post_id=post.pk)
            post.view_count = total if total is not None else post.view_count
        return post


class TagDetailView(KeysetListView):
    template_name = "blog/tag_detail.html"

    def get_queryset(self):
        self.tag = get_object_or_404(Tag.objects.in_use(), slug=self.kwargs["slug"])
        return Post.objects.published().tagged(self.tag).select_related("author").prefetch_related("tags")

    def canonical_path(self) -> str:
        return self.tag.get_absolute_url()

    def get_context_data(self, **kwargs):
        title, description = (
            f"Posts tagged {self.tag.name}",
            f"Posts tagged {self.tag.name} on {site_settings().title}.",
        )
        return super().get_context_data(tag=self.tag, tag_title=title, tag_description=description, **kwargs)


def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /accounts/", "Disallow: /dashboard/", "Disallow: /write/"]
    lines.append(f"Sitemap: {settings.SITE_URL}{reverse('blog:sitemap')}")  # One address, whatever the Host.
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


class AuthorDetailView(KeysetListView):
    template_name = "blog/author_detail.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The same address is the author's actor for the fediverse, asked for by Accept.
        if settings.FEDERATION_ENABLED and wants_activity_json(request.headers.get("Accept", "")):
            return federation_views.actor(request, kwargs["pk"])
        response = super().get(request, *args, **kwargs)
        if settings.FEDERATION_ENABLED:
            patch_vary_headers(response, ["Accept"])
        return response

    def get_queryset(self):
        self.author = get_object_or_404(authors(), pk=self.kwargs["pk"])
        return Post.objects.published().by(self.author).select_related("author").prefetch_related("tags")

    def canonical_path(self) -> str:
        return self.author.get_absolute_url()

    def get_context_data(self, **kwargs):
        description = (
            Truncator(self.author.bio).words(30) if self.author.bio
            else f"Posts by {self.author.public_name} on {site_settings().title}."
        )  # fmt: skip
        return super().get_context_data(
            author=self.author, author_description=description, subscribe_form=SubscribeForm(), **kwargs
        )


def post_to_change(request: HttpRequest, slug: str) -> Post:
    """The post, if this user may change it: 404 for another's post they may not even see, 403 for their own."""
    post = get_object_or_404(Post.objects.select_related("author"), slug=slug)
    if post.author_id != request.user.pk and not roles.may_edit_any(request.user):
        raise Http404
    if not roles.may_edit(request.user, post):
        raise PermissionDenied
    return post


def _quota_answer(request: HttpRequest, form: PostForm, reached: Exception, post: Post | None = None) -> HttpResponse:
    """Nothing was saved and nothing is lost: the form again, with the text as typed and why."""
    form.add_error(None, str(reached))
    context = {"form": form, "post": post, **(_editor_context(post) if post else {})}
    return render(request, "blog/post_form.html", context, status=429)


def _preview(request: HttpRequest, form: PostForm, post: Post | None = None) -> HttpResponse:
    try:
        throttle_hit((PREVIEW_PER_ACCOUNT, request.user.pk))
    except Throttled as throttled:
        context = {"post": post, **(_editor_context(post) if post else {})}
        return too_many_requests(
            request, throttled, "Too many previews.", template="blog/post_form.html", context=context, form=form
        )
    # Rendered exactly as saving would; the page shows it just below the form's buttons.
    markup = post.markup if post is not None else MARKDOWN  # A post imported as HTML stays HTML.
    preview = {**form.cleaned_data, "html": markdown_render(form.cleaned_data["content"], markup=markup).html}
    context = {"form": form, "post": post, "preview": preview, **(_editor_context(post) if post else {})}
    return render(request, "blog/post_form.html", context)


# The editor's copy in the browser that a form carried (site/static/site/editor.js): "<account>/<post or new>:<nonce>".
_EDITOR_COPY = re.compile(r"[0-9]{1,12}/[\w-]{1,240}:[a-z0-9]{1,12}")
_EDITOR_KEY = re.compile(r"[a-z0-9]{8,32}")


def _saved(request: HttpRequest, message: str, level: int = messages.SUCCESS) -> None:
    """Say it was saved; the page that says so also lets the browser's copy of the text go (theme.js)."""
    copy = request.POST.get("editor_copy", "")
    messages.add_message(request, level, message, extra_tags=copy if _EDITOR_COPY.fullmatch(copy) else "")


def _saved_message(post: Post) -> str:
    if post.submitted_at:
        return "Submitted for review: an Editor will publish it or send it back with a note."
    if post.is_published:
        return "Published."
    if post.published_at:
        when = timezone.localtime(post.published_at)
        return f"Scheduled for {when:%-d %b %Y, %H:%M}."
    return "Draft saved."


@login_required
@may_carry_a_file(lambda: settings.IMAGE_MAX_BYTES + 1_300_000)
def post_create(request: HttpRequest) -> HttpResponse:
    if not roles.may_write(request.user):
        raise PermissionDenied
    key = request.POST.get("editor_key", "") if request.method == "POST" else ""
    key = key if _EDITOR_KEY.fullmatch(key) else ""
    if key and (begun := post_begun(author=request.user, editor_key=key)) is not None:
        # This page's autosave made the draft already (its answer lost, or still on its way): the buttons edit
        # it, as written on its first revision (a newer one, from another tab, is a conflict shown, not lost).
        return post_edit(request, begun.slug, assumed_revision=1)
    form = PostForm(request.POST if request.method == "POST" else None, can_schedule=roles.may_publish(request.user))
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            return _preview(request, form)
        try:
            throttle_hit((SAVE_PER_ACCOUNT, request.user.pk))
        except Throttled as throttled:
            return too_many_requests(request, throttled, "Too many saves.", template="blog/post_form.html", form=form)
        try:
            if "submit" in request.POST:
                _submit_throttle(request)
            written = services.post_write(
                author=request.user,
                publish="publish" in request.POST,
                submit="submit" in request.POST,
                editor_key=key,
                **form.post_fields(),
            )
        except Throttled as throttled:
            message = "Too many posts submitted for review."
            return too_many_requests(request, throttled, message, template="blog/post_form.html", form=form)
        except services.QuotaReached as reached:
            return _quota_answer(request, form, reached)
        if written.kept_as_draft:
            _saved(request, VERIFY_FIRST + " We saved your post as a draft.", level=messages.WARNING)
        else:
            _saved(request, _saved_message(written.post))
        return redirect(written.post)
    return render(request, "blog/post_form.html", {"form": form})


@login_required
@may_carry_a_file(lambda: settings.IMAGE_MAX_BYTES + 1_300_000)
def post_edit(request: HttpRequest, slug: str, *, assumed_revision: int | None = None) -> HttpResponse:
    post = post_to_change(request, slug)
    can_schedule = roles.may_publish(request.user)
    form = PostForm(request.POST if request.method == "POST" else None, instance=post, can_schedule=can_schedule)
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            post.refresh_from_db()  # The form changed the instance; nothing is saved.
            return _preview(request, form, post)
        publishing = "publish" in request.POST and not post.published_at
        submitting = "submit" in request.POST and not post.published_at and not publishing
        kept_as_draft = False
        try:
            throttle_hit((SAVE_PER_ACCOUNT, request.user.pk))
            # What the button asks is checked before the text is saved: a refused action saves nothing.
            if publishing:
                try:
                    services.publish_check(by=request.user)
                except services.NotVerified:
                    publishing, kept_as_draft = False, True  # Saved, as a draft, as on the Write page.
            if submitting:
                if post.author_id != request.user.pk:
                    raise PermissionDenied
                _submit_throttle(request)
            post = services.post_update(
                by=request.user,
                post=post,
                revision=form.cleaned_data.get("revision") or assumed_revision,
                overwrite="overwrite" in request.POST,
                **form.post_fields(),
            )
            if publishing:
                post = services.post_publish(by=request.user, post=post, publish_at=form.cleaned_data.get("publish_at"))
            elif submitting:
                post = services.post_submit(by=request.user, post=post)
        except Throttled as throttled:
            post.refresh_from_db()
            context = {"post": post, **_editor_context(post)}
            return too_many_requests(
                request, throttled, "Too many saves.", template="blog/post_form.html", context=context, form=form
            )
        except services.QuotaReached as reached:
            post.refresh_from_db()
            return _quota_answer(request, form, reached, post)
        except services.Conflict as conflict:
            # Nothing saved: the writer's text stays in the form, the saved version beside it.
            post.refresh_from_db()
            shown = {"form": form, "post": post, "conflict": conflict.saved, **_editor_context(post)}
            return render(request, "blog/post_form.html", shown, status=409)
        if kept_as_draft:
            _saved(request, VERIFY_FIRST + " We saved your post as a draft.", level=messages.WARNING)
        else:
            _saved(request, _saved_message(post) if post.published_at or post.submitted_at else "Saved.")
        return redirect(post)
    return render(request, "blog/post_form.html", {"form": form, "post": post, **_editor_context(post)})


def _editor_context(post: Post) -> dict:
    return {"autosaves": autosaves_to_server(post), "versions": post.versions.all()[:VERSIONS_KEPT]}


@login_required
@require_POST
def post_publish(request: HttpRequest, slug: str) -> HttpResponse:
    post = post_to_change(request, slug)
    try:
        services.post_publish(by=request.user, post=post)
    except services.NotVerified:
        messages.warning(request, VERIFY_FIRST)
    except services.QuotaReached as reached:
        messages.error(request, str(reached))
    else:
        messages.success(request, "Published.")
    return redirect(post)


def _submit_throttle(request: HttpRequest) -> None:
    """Each submission mails every Editor: a few an hour per writer, however it is sent."""
    throttle_hit((SUBMIT_PER_ACCOUNT, request.user.pk))


@login_required
@require_POST
def post_submit(request: HttpRequest, slug: str) -> HttpResponse:
    post = post_to_change(request, slug)
    try:
        _submit_throttle(request)
    except Throttled as throttled:
        return too_many_requests(request, throttled, "Too many posts submitted for review.")
    post = services.post_submit(by=request.user, post=post)
    messages.success(request, "Submitted for review: an Editor will publish it or send it back with a note.")
    return redirect(post)


@login_required
def post_delete(request: HttpRequest, slug: str) -> HttpResponse:
    post = post_to_change(request, slug)
    if request.method == "POST":
        services.post_delete(by=request.user, post=post)
        messages.success(request, f"Deleted “{post.title}”.")
        return redirect("blog:dashboard")
    return render(request, "blog/post_confirm_delete.html", {"post": post})


@login_required
def posts_export(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(posts_zip(author=request.user), content_type="application/zip")
    name = f"posts-{timezone.localdate().isoformat()}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def post_unpublish(request: HttpRequest, slug: str) -> HttpResponse:
    post = services.post_unpublish(by=request.user, post=post_to_change(request, slug))
    messages.success(request, "Unpublished: only you can see it now.")
    return redirect(post)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    month_start = today - timedelta(days=CHART_DAYS - 1)
    posts = Post.objects.by(request.user).with_views_since(month_start).order_by("-created_at", "-id")
    totals = Post.objects.by(request.user).aggregate(
        views=Sum("view_count"), published=Count("pk", filter=published_q())
    )
    # A page of posts, their reads summed for that page alone: a writer with
    # thousands of posts got every one of them in one page (351 ms, 400 KB).
    page = Paginator(Post.objects.by(request.user).order_by("-created_at", "-id").only("pk"), DASHBOARD_POSTS)
    page_obj = page.get_page(request.GET.get("page"))
    page_posts = list(posts.filter(pk__in=[post.pk for post in page_obj.object_list]))
    chart = daily_bars(
        DailyViews.objects.for_author(request.user).totals_by_day(month_start), end=today, days=CHART_DAYS
    )
    top_posts = DailyViews.objects.for_author(request.user).top_posts(month_start, TOP_POSTS)
    sources = DailySources.objects.for_author(request.user).top(since=month_start, limit=TOP_SOURCES)
    last_report = Report.objects.for_author(request.user).sent().order_by("-sent_at").first()
    fediverse = settings.FEDERATION_ENABLED
    if fediverse:
        counts = Reaction.objects.counts_by_post([post.pk for post in page_posts])
        for post in page_posts:
            post.likes, post.boosts = counts.get(post.pk, (0, 0))
    return render(
        request,
        "blog/post_dashboard.html",
        {
            "posts": page_posts,
            "page_obj": page_obj,
            "total_views": totals["views"] or 0,
            "published": totals["published"],
            "chart": chart,
            "top_posts": top_posts,
            "sources": sources,
            "last_report": last_report,
            "subscribers": Subscriber.objects.for_author(request.user).confirmed().count(),
            "fediverse": fediverse,
            "followers": Follower.objects.of(request.user).accepted().count() if fediverse else 0,
            "follow_requests": Follower.objects.of(request.user).pending().count() if fediverse else 0,
        },
    )
