"""
An author's own fediverse page, from their dashboard: the handle readers
follow them by, whether follows wait for approval, the requests waiting,
and who follows. 404 unless FEDERATION_ENABLED; only for those who publish.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from blog.federation.documents import site_host
from blog.federation.forms import ActorForm
from blog.federation.services import actor_ensure, actor_settings_save, follower_decide
from blog.models import Actor, Follower
from users import roles

FOLLOWERS_SHOWN = 100
# A flood of requests (a server can make actors at will) shows its oldest hundred, and how many wait.
PENDING_SHOWN = 100


def _own_actor(request: HttpRequest) -> Actor:
    if not settings.FEDERATION_ENABLED:
        raise Http404("Federation is off on this site.")
    if not roles.may_publish(request.user):
        raise PermissionDenied
    return actor_ensure(user=request.user)


@login_required
def actor_edit(request: HttpRequest) -> HttpResponse:
    actor = _own_actor(request)
    settled = actor.handle_settled
    initial = {"handle": actor.handle, "approves_follows": actor.approves_follows}
    form = ActorForm(request.POST if request.method == "POST" else None, initial=initial, settled=settled)
    if request.method == "POST" and form.is_valid():
        try:
            actor_settings_save(
                by=request.user,
                actor=actor,
                handle=form.cleaned_data["handle"],
                approves_follows=form.cleaned_data["approves_follows"],
            )
        except ValidationError as refused:
            form.add_error("handle", refused)
        else:
            messages.success(request, "Saved.")
            return redirect("blog:actor-edit")
    followers = Follower.objects.filter(actor=actor)
    context = {
        "form": form,
        "actor": actor,
        "address": f"@{actor.handle}@{site_host()}",
        "settled": settled,
        "pending": followers.pending().order_by("created_at", "id")[:PENDING_SHOWN],
        "pending_count": followers.pending().count(),
        "followers": followers.accepted().order_by("-accepted_at", "-id")[:FOLLOWERS_SHOWN],
        "follower_count": followers.accepted().count(),
    }
    return render(request, "blog/actor_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def follower_answer(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _own_actor(request)
    follower = get_object_or_404(Follower.objects.select_related("actor"), pk=pk, actor=actor)
    accept = request.POST.get("decision") == "accept"
    follower_decide(by=request.user, follower=follower, accept=accept)
    messages.success(request, f"{'Accepted' if accept else 'Refused'}: {follower.remote_id}.")
    return redirect("blog:actor-edit")
