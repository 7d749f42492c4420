from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.template.response import TemplateResponse

from site.addresses import email_normalize
from site.admin_site import ChangesPagesAdmin, DeliveryAdmin
from users import roles, services, team
from users.forms import AdminLoginForm
from users.models import AccountMail, EmailVerification, Invitation, User
from users.roles import GROUP_ROLES, Role
from users.views import PasswordChangeView

# The admin's login and password change go through the same throttle as the site's, and say so.
admin.site.login_form = AdminLoginForm
admin.site.password_change_view = PasswordChangeView


def _each_allowed(model_admin, request, rows, run, done: str) -> None:
    """Run `run(row)` for each selected row (a service that asks users.roles); say how many it did and which not."""
    refused = []
    for row in rows:
        try:
            run(row)
        except roles.NotAllowed:
            refused.append(row.email)
    model_admin.message_user(request, f"{done}: {len(rows) - len(refused)}.", messages.SUCCESS)
    if refused:
        model_admin.message_user(request, f"Not allowed for: {', '.join(refused)}.", messages.ERROR)


class NormalisedEmailMixin:
    """The address in its one normal form before the uniqueness check, as User.save() will store it."""

    def clean_email(self):
        return email_normalize(self.cleaned_data["email"])


class UserCreationForm(NormalisedEmailMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(NormalisedEmailMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class EmailVerificationInline(admin.TabularInline):
    model = EmailVerification
    extra = 0
    can_delete = False
    fields = ("email", "created_at", "attempts", "sent_at", "failed_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ChangesPagesAdmin, BaseUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    list_display = ("email", "display_name", "role", "is_active", "is_verified", "verification_mail", "date_joined")
    list_filter = ("groups", "is_active", "is_verified", "is_staff")
    search_fields = ("email", "display_name")
    ordering = ("email",)
    readonly_fields = ("verified_at", "date_joined", "last_login", "role", "suspended_at")

    def get_readonly_fields(self, request, obj=None):
        # Roles change through the services (the actions below), which check who may give what:
        # editing groups or the superuser flag by hand would let an Administrator make an Owner.
        fields = [*super().get_readonly_fields(request, obj)]
        if not request.user.is_superuser:
            fields += ["is_staff", "is_superuser", "groups", "user_permissions", "is_active"]
        return fields

    def _may_manage(self, request, obj) -> bool:
        """
        Another account is changed (its password, address, role) or deleted only
        by someone above it, as users.roles says: an Administrator never the
        Owner, nor another Administrator. Oneself, always.
        """
        return obj is None or obj.pk == request.user.pk or bool(roles.roles_assignable_by(request.user, obj))

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._may_manage(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_manage(request, obj)

    def get_actions(self, request):
        # Deleting goes through "Delete the accounts with all their posts", which asks users.team who may.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Role")
    def role(self, user):
        return user.role or "none"

    actions = [
        "resend_verification",
        "mark_verified",
        "suspend",
        "reactivate",
        "delete_with_posts",
        *(f"make_{role.value}" for role in GROUP_ROLES),
        "hand_ownership",
    ]
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name")}),
        ("Verification", {"fields": ("is_verified", "verified_at")}),
        (
            "Role and permissions",
            {
                "fields": (
                    "role",
                    "is_active",
                    "suspended_at",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
                "description": "Roles change with the list's actions (Make Author, …), which check who may give them.",
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def get_inlines(self, request, obj):
        return [EmailVerificationInline] if obj else []

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("verifications", "groups")

    @admin.display(description="Verification mail")
    def verification_mail(self, user):
        latest = next(iter(user.verifications.all()), None)
        return latest.delivery_state if latest else "none"

    def save_model(self, request, obj, form, change) -> None:
        if change and "email" in form.changed_data:
            # A new address is unproven: verified again from its own mailbox.
            obj.is_verified, obj.verified_at = False, None
        super().save_model(request, obj, form, change)
        if not change and not obj.is_superuser:
            team.user_role_start(user=obj)  # Made here, it starts as a Contributor, as a sign-up does.
        # An account made here is owed a mail like any other; the consumer's
        # reconciler would find it too, this only makes it prompt.
        if not obj.is_verified:
            services.verification_request(user=obj)

    @admin.action(description="Resend verification mail", permissions=["change"])
    def resend_verification(self, request, queryset) -> None:
        sent = sum(services.verification_request(user=user) is not None for user in queryset)
        self.message_user(
            request, f"Queued {sent} verification mail(s); verified users were skipped.", messages.SUCCESS
        )

    @admin.action(description="Mark as verified", permissions=["change"])
    def mark_verified(self, request, queryset) -> None:
        for user in queryset:
            services.user_mark_verified(user=user)
        self.message_user(request, f"Marked {queryset.count()} user(s) verified.", messages.SUCCESS)

    def has_suspend_permission(self, request) -> bool:
        return request.user.has_perm("users.suspend_user")

    def has_ownership_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.action(
        description="Hand the site's ownership to this account (you become Administrator)", permissions=["ownership"]
    )
    def hand_ownership(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one account to hand the site to.", messages.ERROR)
            return
        try:
            owner = team.ownership_transfer(by=request.user, to=queryset.get())
        except roles.NotAllowed:
            self.message_user(
                request, "Only an Owner may hand the site to another active, verified account.", messages.ERROR
            )
            return
        self.message_user(request, f"{owner.email} owns the site now; you are an Administrator.", messages.SUCCESS)

    def has_change_role_permission(self, request) -> bool:
        return request.user.has_perm("users.change_role")

    def _each(self, request, queryset, service, done: str) -> None:
        """Run `service(by=..., user=...)` on each selected account (see _each_allowed)."""
        _each_allowed(self, request, queryset, lambda user: service(by=request.user, user=user), done)

    @admin.action(description="Suspend: hide everything they published", permissions=["suspend"])
    def suspend(self, request, queryset) -> None:
        self._each(request, queryset, team.user_suspend, "Suspended")

    @admin.action(description="Reactivate", permissions=["suspend"])
    def reactivate(self, request, queryset) -> None:
        self._each(request, queryset, team.user_reactivate, "Reactivated")

    @admin.action(description="Delete the accounts with all their posts…", permissions=["delete"])
    def delete_with_posts(self, request, queryset):
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/users/user/delete_with_posts.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Delete accounts with all their posts?",
                    "accounts": [(user, user.posts.count()) for user in queryset],
                    "selected": queryset.values_list("pk", flat=True),
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                    "opts": self.model._meta,
                },
            )
        self._each(request, queryset, team.user_delete, "Deleted, with their posts")
        return None


def _role_action(role: Role):
    @admin.action(description=f"Make {role.label}", permissions=["change_role"])
    def make(modeladmin, request, queryset) -> None:
        modeladmin._each(
            request,
            queryset,
            lambda by, user: team.user_role_set(by=by, user=user, role=role),
            f"Made {role.label}",
        )

    make.__name__ = f"make_{role.value}"
    return make


for _role in GROUP_ROLES:
    setattr(UserAdmin, f"make_{_role.value}", _role_action(_role))


@admin.register(EmailVerification)
class EmailVerificationAdmin(DeliveryAdmin):
    list_display = ("email", "created_at", "state", "attempts", "sent_at", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "user__email")
    readonly_fields = ("user", "email", "created_at", "attempts", "sent_at", "failed_at", "last_error")
    date_hierarchy = "created_at"


@admin.register(AccountMail)
class AccountMailAdmin(DeliveryAdmin):
    list_display = ("email", "kind", "created_at", "state", "attempts", "sent_at", "last_error")
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "user__email")
    readonly_fields = ("user", "kind", "email", "created_at", "attempts", "sent_at", "failed_at", "last_error")
    date_hierarchy = "created_at"


@admin.register(Invitation)
class InvitationAdmin(DeliveryAdmin):
    list_display = ("email", "role", "invitation_state", "invited_by", "created_at", "state", "attempts", "sent_at")
    list_filter = ("role", ("accepted_at", admin.EmptyFieldListFilter), ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("email",)
    readonly_fields = (
        "email",
        "role",
        "invited_by",
        "created_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
        "attempts",
        "sent_at",
        "failed_at",
        "last_error",
    )
    date_hierarchy = "created_at"
    list_select_related = ("invited_by",)
    actions = ["revoke"]

    @admin.display(description="Invitation")
    def invitation_state(self, invitation):
        return invitation.state

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("users.invite_user")

    @admin.action(description="Withdraw the selected invitations", permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        run = lambda invitation: team.invitation_revoke(by=request.user, invitation=invitation)  # noqa: E731
        _each_allowed(self, request, queryset, run, "Withdrawn invitations")
