"""Pictures on the site: uploading one (from the Write page's script), a writer's list of them, and their files."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from blog.forms import PostForm
from blog.media import services
from blog.media.forms import AltForm, PictureForm
from blog.models import Post
from blog.models.media import Image
from blog.views import post_to_change
from site.throttles import Limit, Throttled, throttle_hit
from site.uploads import takes_a_file
from users import roles

# Cleaning a picture is a second or so of CPU in the web process: a writer
# adds a few a minute, a script would not stop.
_SLUG = re.compile(r"[-\w]{1,300}")
UPLOADS_PER_ACCOUNT = Limit("picture-upload:user", 60, 3600)
PICTURES_LISTED = 60


def upload_limit() -> int:
    # The body is the file and a few form fields.
    return settings.IMAGE_MAX_BYTES + 64_000


def may_upload(request: HttpRequest) -> bool:
    return roles.may_write(request.user)


class Refused(Exception):
    pass


def picture_take(request: HttpRequest, form: PictureForm) -> Image:
    """The picture in a posted PictureForm, kept; Refused with the reason for the writer otherwise."""
    if getattr(request, "upload_too_large", False):
        raise Refused(
            f"The picture is larger than {settings.IMAGE_MAX_BYTES // 1_000_000:,} MB, the most this site takes."
        )
    if not form.is_valid():
        raise Refused(" ".join(str(message) for errors in form.errors.values() for message in errors))
    try:
        throttle_hit((UPLOADS_PER_ACCOUNT, request.user.pk))
    except Throttled as throttled:
        raise Refused(f"Too many pictures uploaded. Please try again in {throttled.wait_text}.") from throttled
    upload = form.cleaned_data["file"]
    try:
        return services.image_upload(by=request.user, file=upload, alt=form.cleaned_data["alt"], name=upload.name)
    except services.PictureRefused as refused:
        raise Refused(str(refused)) from refused


@login_required
@require_POST
@takes_a_file(upload_limit, allowed=may_upload)
def picture_upload(request: HttpRequest) -> JsonResponse:
    """The Write page's script: the picture kept, and the Markdown that shows it; or why not, as a 400."""
    try:
        image = picture_take(request, PictureForm(request.POST, request.FILES))
    except Refused as refused:
        return JsonResponse({"error": str(refused)}, status=400)
    return JsonResponse(
        {"id": image.pk, "url": image.url, "markdown": image.markdown, "width": image.width, "height": image.height},
        status=201,
    )


@login_required
@takes_a_file(upload_limit, allowed=may_upload)
def picture_list(request: HttpRequest) -> HttpResponse:
    """A writer's pictures: what each takes, the posts that show it, its alt text; an upload form; the quota."""
    form = PictureForm(request.POST, request.FILES) if request.method == "POST" else PictureForm()
    if request.method == "POST":
        try:
            image = picture_take(request, form)
        except Refused as refused:
            form.is_valid()
            if str(refused) not in str(form.errors):  # Not the form's own error, already shown.
                form.add_error(None, str(refused))
        else:
            messages.success(request, f"Uploaded. To show it in a post, put this in its text: {image.markdown}")
            return redirect("blog:picture-list")
    # Only the posts this writer may see are named; the others are counted.
    seen = Prefetch("posts", queryset=Post.objects.visible_to(request.user).only("pk", "title", "slug"), to_attr="seen")
    page = Paginator(Image.objects.of(request.user).order_by("-created_at", "-id").only("pk"), PICTURES_LISTED)
    page_obj = page.get_page(request.GET.get("page"))
    listed = Image.objects.filter(pk__in=[image.pk for image in page_obj.object_list])
    images = list(listed.annotate(shown_in=Count("posts")).prefetch_related(seen).order_by("-created_at", "-id"))

    for image in images:
        image.others = image.shown_in - len(image.seen)  # type: ignore[attr-defined]
    limits = roles.quota(request.user)
    context = {
        "form": form,
        "images": images,
        "page_obj": page_obj,
        "used": _megabytes(Image.objects.of(request.user).bytes_used()),
        "quota_mb": f"{limits.images_mb:,}" if limits else None,
        "unused_days": settings.IMAGES_UNUSED_DAYS,
    }
    return render(request, "blog/image_list.html", context, status=400 if form.errors else 200)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size / 1e3:,.0f} KB"


def _own(request: HttpRequest, pk: int) -> Image:
    """The picture, if this user may change it: 404 for another's, 403 for their own when they may not."""
    image = get_object_or_404(Image, pk=pk)
    if image.owner_id != request.user.pk and not roles.may_edit_any(request.user):
        raise Http404
    if not roles.may_change_picture(request.user, image):
        raise PermissionDenied
    return image


@login_required
@require_POST
def picture_alt(request: HttpRequest, pk: int) -> HttpResponse:
    image = _own(request, pk)
    form = AltForm(request.POST)
    if form.is_valid():
        services.image_alt_set(by=request.user, image=image, alt=form.cleaned_data["alt"])
        messages.success(request, "Alt text saved. Posts that already show the picture keep the text they have.")
    else:
        messages.error(request, "Alt text is limited to 500 characters.")
    return redirect(image)


@login_required
@require_POST
def picture_delete(request: HttpRequest, pk: int) -> HttpResponse:
    image = _own(request, pk)
    try:
        services.image_delete(by=request.user, image=image)
    except services.PictureInUse as in_use:
        messages.error(request, str(in_use))
    else:
        messages.success(request, f"Deleted {image}.")
    return redirect("blog:picture-list")


@login_required
@require_POST
@takes_a_file(upload_limit, allowed=may_upload)
def post_picture_add(request: HttpRequest) -> HttpResponse:
    """
    The Write or Edit page's Upload button, without a script (its formaction):
    the picture kept and its Markdown added at the end of the text, and the
    form shown again as typed, nothing else saved; or the form as typed with
    why the picture was refused. The Save buttons post to the page's own
    address, which takes no file.
    """
    slug = request.POST.get("post", "")
    if slug and not _SLUG.fullmatch(slug):
        raise Http404
    post = post_to_change(request, slug) if slug else None
    fields = ("title", "planned_slug", "content", "tags", "publish_at")
    initial = {name: request.POST.get(name, "") for name in fields}
    action = reverse("blog:post-edit", kwargs={"slug": post.slug}) if post else reverse("blog:post-create")
    context: dict[str, object] = {"post": post, "form_action": action}
    status = 200
    try:
        image = picture_take(request, PictureForm(request.POST, request.FILES, prefix="picture"))
    except Refused as refused:
        context["picture_error"], status = str(refused), 400
    else:
        initial["content"] = f"{initial['content'].rstrip()}\n\n{image.markdown}\n".lstrip()
        context["picture_added"] = image
    form = PostForm(initial=initial, instance=post, can_schedule=roles.may_publish(request.user))
    return render(request, "blog/post_form.html", {**context, "form": form}, status=status)
