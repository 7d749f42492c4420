from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from site.addresses import email_normalize
from site.admin_site import DeliveryAdmin
from users import services
from users.forms import AdminLoginForm
from users.models import AccountMail, EmailVerification, User
from users.views import PasswordChangeView

# The admin's login and password change go through the same throttle as the site's, and say so.
admin.site.login_form = AdminLoginForm
admin.site.password_change_view = PasswordChangeView


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
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    list_display = ("email", "display_name", "is_verified", "verification_mail", "is_staff", "date_joined")
    list_filter = ("is_verified", "is_staff", "is_active")
    search_fields = ("email", "display_name")
    ordering = ("email",)
    readonly_fields = ("verified_at", "date_joined", "last_login")
    actions = ["resend_verification", "mark_verified"]
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name")}),
        ("Verification", {"fields": ("is_verified", "verified_at")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def get_inlines(self, request, obj):
        return [EmailVerificationInline] if obj else []

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("verifications")

    @admin.display(description="Verification mail")
    def verification_mail(self, user):
        latest = next(iter(user.verifications.all()), None)
        return latest.delivery_state if latest else "none"

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        # An account made here is owed a mail like any other; the consumer's
        # reconciler would find it too, this only makes it prompt.
        if not change and not obj.is_verified:
            services.verification_request(user=obj)

    @admin.action(description="Resend verification mail")
    def resend_verification(self, request, queryset) -> None:
        sent = sum(services.verification_request(user=user) is not None for user in queryset)
        self.message_user(
            request, f"Queued {sent} verification mail(s); verified users were skipped.", messages.SUCCESS
        )

    @admin.action(description="Mark as verified")
    def mark_verified(self, request, queryset) -> None:
        for user in queryset:
            services.user_mark_verified(user=user)
        self.message_user(request, f"Marked {queryset.count()} user(s) verified.", messages.SUCCESS)


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
