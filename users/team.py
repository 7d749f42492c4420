"""
Writes with side effects for the team: roles, suspension, invitations. Who
may do each is users.roles's to say; every function here asks it first and
raises NotAllowed (a 403, nothing changed) when the answer is no.
"""

from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from site.addresses import email_normalize
from site.models import SiteSettings
from site.pages import pages_changed
from site.tasks import deliveries_queue_on_commit
from site.tokens import TokenExpired, TokenInvalid, invitation_token_read
from users import roles
from users.deliveries import INVITATION
from users.models import INVITATION_DAYS, Invitation, User
from users.roles import GROUP_ROLES, RANK, NotAllowed, Role


class InvitationInvalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        # "invalid", "expired", "used", "revoked", "closed", "has-account" or "other-account"
        self.reason = reason


def _role_give(user: User, role: Role) -> None:
    """Exactly `role`: one role group, staff for an Administrator. Callers have checked who may give it."""
    user.groups.remove(*Group.objects.filter(name__in=[r.label for r in GROUP_ROLES]))
    user.groups.add(Group.objects.get(name=role.label))
    User.objects.filter(pk=user.pk).update(is_staff=role is Role.ADMINISTRATOR or user.is_superuser)
    for memo in ("_role", "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        vars(user).pop(memo, None)


def user_role_start(*, user: User) -> None:
    """An account made without a role (in the admin, say) gets the one a sign-up gets: Contributor."""
    if roles.role_of(user) is None:
        _role_give(user, Role.CONTRIBUTOR)


def user_role_set(*, by: User, user: User, role: Role) -> User:
    """
    Give `user` exactly `role` (one role group; staff from Administrator up).
    Raises NotAllowed unless `by` may give it (users.roles.roles_assignable_by).
    """
    if role not in roles.roles_assignable_by(by, user):
        raise NotAllowed(f"{by} may not make {user} {role.label}")
    with transaction.atomic():
        _role_give(user, role)
    user.refresh_from_db()
    return user


def ownership_transfer(*, by: User, to: User) -> User:
    """
    The Owner hands the site to another active account: it becomes the Owner
    (the superuser), and `by` an Administrator. Raises NotAllowed unless `by`
    is an Owner and `to` another active, verified account.
    """
    if roles.role_of(by) is not Role.OWNER or to.pk == by.pk or not (to.is_active and to.is_verified):
        raise NotAllowed(f"{by} may not hand the site to {to}")
    with transaction.atomic():
        User.objects.filter(pk=to.pk).update(is_superuser=True, is_staff=True)
        User.objects.filter(pk=by.pk).update(is_superuser=False, is_staff=True)
        by.is_superuser = False
        _role_give(by, Role.ADMINISTRATOR)
    to.refresh_from_db()
    return to


def user_suspend(*, by: User, user: User) -> User:
    """
    Switch the account off (Django's is_active): it cannot log in, and
    everything it published leaves every public place, its scheduled posts
    and their new-post mails with it, until it is reactivated.
    """
    if not roles.may_suspend(by, user):
        raise NotAllowed(f"{by} may not suspend {user}")
    User.objects.filter(pk=user.pk).update(is_active=False, suspended_at=timezone.now())
    pages_changed()
    user.refresh_from_db()
    return user


def user_reactivate(*, by: User, user: User) -> User:
    """Undo a suspension or deactivation: the account and all it published are back."""
    if not roles.may_suspend(by, user):
        raise NotAllowed(f"{by} may not reactivate {user}")
    User.objects.filter(pk=user.pk).update(is_active=True, suspended_at=None)
    pages_changed()
    user.refresh_from_db()
    return user


def user_delete(*, by: User, user: User) -> None:
    """Delete the account with everything it wrote (posts, tallies, subscribers): for Administrators."""
    if not (roles.at_least(by, Role.ADMINISTRATOR) and roles.may_suspend(by, user)):
        raise NotAllowed(f"{by} may not delete {user}")
    user.delete()
    pages_changed()


def invitation_create(*, by: User, email: str, role: Role) -> Invitation:
    """
    Invite `email` to write as `role` and owe the invitation mail (account
    mail: sent before any bulk). A new invitation to an address replaces the
    open one it had. Raises NotAllowed unless `by` may invite to that role,
    and while registration is closed.
    """
    if not roles.may_invite(by, role) or SiteSettings.objects.current().registration == "closed":
        raise NotAllowed(f"{by} may not invite as {role}")
    email = email_normalize(email)
    with transaction.atomic():
        # A new invitation replaces the open ones `by` could have sent, never a higher one from someone else.
        replaced = Invitation.objects.open().filter(email=email, role__in=roles.roles_invitable_by(by))
        replaced.update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(email=email, role=role, invited_by=by)
        deliveries_queue_on_commit(kind=INVITATION, ids=[invitation.pk])
    return invitation


def invitation_revoke(*, by: User, invitation: Invitation) -> Invitation:
    """Its link stops working (and its mail, if not sent yet, is not sent)."""
    if not roles.may_invite(by, invitation.role):
        raise NotAllowed(f"{by} may not revoke invitation {invitation.pk}")
    Invitation.objects.open().filter(pk=invitation.pk).update(revoked_at=timezone.now())
    invitation.refresh_from_db()
    return invitation


def invitation_read(*, token: str) -> Invitation:
    """The open invitation a link is for, or InvitationInvalid with the reason a page can explain."""
    try:
        pk = invitation_token_read(token, max_age=timedelta(days=INVITATION_DAYS))
    except TokenExpired as exc:
        raise InvitationInvalid("expired") from exc
    except TokenInvalid as exc:
        raise InvitationInvalid("invalid") from exc
    invitation = Invitation.objects.filter(pk=pk).first()
    if invitation is None:
        raise InvitationInvalid("invalid")
    if invitation.state != "open":
        raise InvitationInvalid({"accepted": "used"}.get(invitation.state, invitation.state))
    inviter = invitation.invited_by
    if inviter is None or not roles.may_invite(inviter, invitation.role):
        raise InvitationInvalid("revoked")  # Whoever sent it may no longer give that role (suspended, demoted, gone).
    return invitation


def _claim(invitation: Invitation) -> None:
    """Take the invitation once, inside the caller's transaction: a second click, or a race, finds it used."""
    if not Invitation.objects.open().filter(pk=invitation.pk).update(accepted_at=timezone.now()):
        raise InvitationInvalid("used")


def invitation_accept_new(*, token: str, password: str, display_name: str = "") -> User:
    """
    A new account from an invitation: the address is the invitation's (the
    link proved the mailbox, so it is verified), the role the invitation's.
    """
    invitation = invitation_read(token=token)
    if SiteSettings.objects.current().registration == "closed":
        raise InvitationInvalid("closed")
    if User.objects.with_email(invitation.email).exists():
        raise InvitationInvalid("has-account")
    user = User(email=invitation.email, display_name=display_name, is_verified=True, verified_at=timezone.now())
    user.set_password(password)  # Before the transaction: hashing holds no lock.
    try:
        with transaction.atomic():
            _claim(invitation)
            user.save()
            _role_give(user, Role(invitation.role))
            Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
    except IntegrityError as exc:
        raise InvitationInvalid("has-account") from exc  # The address got an account meanwhile.
    return user


def invitation_accept_existing(*, token: str, user: User) -> User:
    """
    An account that already exists takes the invitation, logged in as the
    address invited: its role rises to the invitation's (never lowers), and
    the address counts as verified.
    """
    invitation = invitation_read(token=token)
    if user.email != invitation.email:
        raise InvitationInvalid("other-account")
    with transaction.atomic():
        _claim(invitation)
        role = Role(invitation.role)
        if roles.role_rank(user) < RANK[role]:
            _role_give(user, role)
        User.objects.filter(pk=user.pk, is_verified=False).update(is_verified=True, verified_at=timezone.now())
        Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
    user.refresh_from_db()
    return user
