from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm

from site.addresses import MailboxField
from site.text import single_line
from users.models import User


class SignupForm(forms.Form):
    email = MailboxField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))
    display_name = forms.CharField(
        max_length=80, required=False, help_text="Shown as the author of your posts. Optional."
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_display_name(self):
        return single_line(self.cleaned_data["display_name"])

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        elif password1:
            email = cleaned.get("email", getattr(self, "invited_email", ""))
            candidate = User(email=email, display_name=cleaned.get("display_name", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class InvitationAcceptForm(SignupForm):
    """Signing up through an invitation: the address is the invitation's, not typed."""

    def __init__(self, *args, invited_email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.invited_email = invited_email
        del self.fields["email"]


class InviteForm(forms.Form):
    email = MailboxField(label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(widget=forms.RadioSelect)

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in roles]
        self.fields["role"].initial = roles[0].value if roles else None


def throttled_error(request) -> forms.ValidationError | None:
    """The login throttle's refusal for this request (users.backends), as a form error."""
    throttled = getattr(request, "login_throttled", None)
    if throttled is None:
        return None
    return forms.ValidationError(
        f"Too many failed attempts. Please try again in {throttled.wait_text}.", code="throttled"
    )


class ThrottledLoginMixin:
    """Says "too many attempts" instead of "wrong password" when the throttle refused the check."""

    def clean(self):
        try:
            return super().clean()  # type: ignore[misc]  # The form class this mixin goes before.
        except forms.ValidationError:
            throttled = throttled_error(self.request)
            if throttled is None:
                raise
            raise throttled from None


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        # Not Django's "both fields may be case-sensitive": addresses are not.
        "invalid_login": "That email and password do not match an account. The password is case-sensitive.",
    }
    username = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """The old password is checked like a login: through the backend and its throttle."""

    def __init__(self, user, *args, request=None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        if authenticate(self.request, username=self.user.email, password=old_password) != self.user:
            raise throttled_error(self.request) or forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "bio", "report_frequency", "report_when_quiet", "review_mail"]
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 4}),
            "report_frequency": forms.RadioSelect,
            "review_mail": forms.RadioSelect,
        }
        help_texts = {
            "bio": "A few words about you, shown on your author page (plain text).",
            "display_name": ("Shown as the author of your posts. Left empty, you are shown as a numbered author."),
        }

    def clean_display_name(self):
        return single_line(self.cleaned_data["display_name"])

    def __init__(self, *args, reviews: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not reviews:
            del self.fields["review_mail"]  # Only for those whose role reviews posts.
