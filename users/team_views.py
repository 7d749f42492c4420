"""
The team page (Editors and up: who writes here, invitations, suspensions)
and the page an invitation's link opens. users.roles decides who may; users.team does it.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from users import roles, team
from users.forms import InvitationAcceptForm, InviteForm
from users.models import Invitation, User
from users.roles import GROUP_ROLES, Role

TEAM_SHOWN = 200
INVITATIONS_SHOWN = 50
# Why a link opens no invitation, and how the page answers it.
INVALID = {
    "invalid": ("This invitation link is not valid.", 404),
    "expired": ("This invitation has expired. Ask whoever invited you for a new one.", 410),
    "used": ("This invitation has been used already. Log in with the account it made.", 410),
    "revoked": ("This invitation was withdrawn.", 410),
    "closed": ("This site is not taking new accounts any more.", 410),
    "has-account": ("This address has an account here already: log in to take the invitation.", 409),
    "other-account": ("This invitation is for another address. Log out, then open the link again.", 403),
}


def _team_member(request: HttpRequest) -> None:
    if not roles.roles_invitable_by(request.user):
        raise PermissionDenied


@login_required
def team_page(request: HttpRequest) -> HttpResponse:
    _team_member(request)
    invitable = roles.roles_invitable_by(request.user)
    form = InviteForm(request.POST if request.method == "POST" else None, roles=invitable)
    if request.method == "POST" and form.is_valid():
        invitation = team.invitation_create(
            by=request.user, email=form.cleaned_data["email"], role=Role(form.cleaned_data["role"])
        )
        messages.success(request, f"Invited {invitation.email} as {invitation.get_role_display()}.")
        return redirect("users:team")
    in_roles = Q(is_superuser=True) | Q(groups__name__in=[role.label for role in GROUP_ROLES])
    members = list(User.objects.filter(in_roles).distinct().prefetch_related("groups").order_by("email")[:TEAM_SHOWN])
    rows = [(member, roles.may_suspend(request.user, member)) for member in members]
    invitations = Invitation.objects.select_related("invited_by")[:INVITATIONS_SHOWN]
    return render(
        request,
        "users/team.html",
        {"form": form, "members": rows, "invitations": invitations, "invitable": [r.value for r in invitable]},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _team_member(request)
    invitation = team.invitation_revoke(by=request.user, invitation=get_object_or_404(Invitation, pk=pk))
    messages.success(request, f"Withdrew the invitation of {invitation.email}.")
    return redirect("users:team")


@login_required
@require_POST
def member_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    if request.POST.get("reactivate"):
        team.user_reactivate(by=request.user, user=member)
        messages.success(request, f"Reactivated {member.email}: their posts are public again.")
    else:
        team.user_suspend(by=request.user, user=member)
        messages.success(request, f"Suspended {member.email}: their posts are hidden everywhere.")
    return redirect("users:team")


def _invalid(request: HttpRequest, reason: str) -> HttpResponse:
    text, status = INVALID[reason]
    return render(request, "users/invitation_invalid.html", {"text": text, "reason": reason}, status=status)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = team.invitation_read(token=token)
    except team.InvitationInvalid as invalid:
        return _invalid(request, invalid.reason)
    if User.objects.with_email(invitation.email).exists():
        return _accept_existing(request, token, invitation)
    if request.user.is_authenticated:
        return _invalid(request, "other-account")
    form = InvitationAcceptForm(request.POST if request.method == "POST" else None, invited_email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = team.invitation_accept_new(
                token=token, password=form.cleaned_data["password1"], display_name=form.cleaned_data["display_name"]
            )
        except team.InvitationInvalid as invalid:
            return _invalid(request, invalid.reason)
        # The link proved the mailbox and the form chose the password: logged in at once, by the site's one backend.
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.success(request, f"Welcome! You write here as {invitation.get_role_display()}.")
        return redirect("blog:post-create")
    return render(request, "users/invitation_accept.html", {"invitation": invitation, "form": form})


def _accept_existing(request: HttpRequest, token: str, invitation: Invitation) -> HttpResponse:
    """The address has an account: its owner logs in, then takes the role."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.email != invitation.email:
        return _invalid(request, "other-account")
    if request.method == "POST":
        try:
            team.invitation_accept_existing(token=token, user=request.user)
        except team.InvitationInvalid as invalid:
            return _invalid(request, invalid.reason)
        messages.success(request, f"You write here as {invitation.get_role_display()} now.")
        return redirect("blog:post-create")
    return render(request, "users/invitation_accept.html", {"invitation": invitation, "existing": True})
