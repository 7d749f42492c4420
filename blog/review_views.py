"""The review queue: Editors publish or return what writers submitted (users.roles decides who may)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from blog import services
from blog.forms import ReturnForm, ReviewPublishForm
from blog.models import Post
from users import roles

ALREADY_DECIDED = "Someone decided on that post first, or its writer took it back to change it."


def _reviewer(request: HttpRequest) -> None:
    if not roles.may_review(request.user):
        raise PermissionDenied


def _submitted(slug: str) -> Post:
    return get_object_or_404(Post.objects.submitted().select_related("author"), slug=slug)


class ReviewQueueView(LoginRequiredMixin, ListView):
    template_name = "blog/post_review.html"
    context_object_name = "posts"
    paginate_by = 20

    def get_queryset(self) -> QuerySet[Post]:
        _reviewer(self.request)
        return Post.objects.submitted().select_related("author")


@login_required
@require_POST
def review_publish(request: HttpRequest, slug: str) -> HttpResponse:
    _reviewer(request)
    post = _submitted(slug)
    form = ReviewPublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("publish_at", ["Choose a valid time."])))
        return redirect(post)
    try:
        post = services.post_review_publish(by=request.user, post=post, publish_at=form.cleaned_data["publish_at"])
    except services.AlreadyDecided:
        messages.error(request, ALREADY_DECIDED)
        return redirect("blog:review-queue")
    except services.NotVerified:
        messages.error(request, "Verify your own address before publishing: follow the link we mailed you.")
        return redirect(post)
    except services.QuotaReached as reached:
        messages.error(request, str(reached))
        return redirect(post)
    messages.success(request, f"Published “{post.title}”." if post.is_published else f"Scheduled “{post.title}”.")
    return redirect("blog:review-queue")


@login_required
@require_POST
def review_return(request: HttpRequest, slug: str) -> HttpResponse:
    _reviewer(request)
    post = _submitted(slug)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a note for the writer: it says what to change.")
        return redirect(post)
    try:
        services.post_review_return(by=request.user, post=post, note=form.cleaned_data["note"])
    except services.AlreadyDecided:
        messages.error(request, ALREADY_DECIDED)
        return redirect("blog:review-queue")
    messages.success(request, f"Returned “{post.title}” to {post.author.public_name}.")
    return redirect("blog:review-queue")
