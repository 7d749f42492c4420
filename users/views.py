from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from site import unsubscribe
from site.addresses import email_normalize, mailbox_key
from site.http import client_key, throttled_answer, too_many_requests
from site.unsubscribe import OneClick, one_click_view
from users import roles, services, throttles
from users.forms import LoginForm, PasswordChangeForm, ProfileForm, SignupForm
from users.models import User


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return next_url
    return reverse("blog:post-list")


def _signup_closed(request: HttpRequest, mode: str, status: int = 200) -> HttpResponse:
    return render(request, "users/user_signup_closed.html", {"mode": mode}, status=status)


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("blog:post-list")
    if (mode := services.registration_mode()) != "open":
        # Invitation-only or closed: the page says so, and a posted form changes nothing.
        return _signup_closed(request, mode, status=403 if request.method == "POST" else 200)
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            throttles.throttle_hit(
                (throttles.SIGNUP_PER_IP, client_key(request)), (throttles.SIGNUP_PER_EMAIL, mailbox_key(email))
            )
        except throttles.Throttled as throttled:
            return too_many_requests(
                request, throttled, "Too many sign-ups from here.", template="users/user_signup.html", form=form
            )
        try:
            services.user_signup(
                email=email, password=form.cleaned_data["password1"], display_name=form.cleaned_data["display_name"]
            )
        except services.RegistrationClosed as closed:
            return _signup_closed(request, closed.mode, status=403)
        request.session["signup_email"] = email
        return redirect("users:signup-done")
    return render(request, "users/user_signup.html", {"form": form})


def signup_done(request: HttpRequest) -> HttpResponse:
    return render(request, "users/user_signup_done.html", {"email": request.session.get("signup_email", "")})


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """A link from a verification mail: it verifies for the person logged in to its account."""
    try:
        if not request.user.is_authenticated:
            services.verification_link_read(token=token)  # A dead link says so before asking to log in.
            messages.info(request, "Log in to confirm your address.")
            return redirect_to_login(request.get_full_path())
        user = services.user_verify(token=token, by=request.user)
    except services.VerificationFailed as failure:
        return render(request, "users/user_verify_failed.html", {"reason": failure.reason}, status=400)
    request.user = user  # The page's banner reads it: no "please verify" over "verified".
    return render(request, "users/user_verify_done.html", {"verified_user": user})


@login_required
@require_POST
def verification_resend(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    try:
        throttles.throttle_hit(
            (throttles.RESEND_PER_ACCOUNT, request.user.pk), (throttles.RESEND_PER_IP, client_key(request))
        )
    except throttles.Throttled as throttled:
        return too_many_requests(request, throttled, "You asked for several links already.", context={"back": next_url})
    if services.verification_request(user=request.user) is None:
        messages.info(request, "Your email address is already verified.")
    else:
        messages.success(request, f"We are sending a new verification link to {request.user.email}.")
    # Not redirect(): it would try a bare word like "0" as a URL name.
    return HttpResponseRedirect(next_url)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        instance=request.user,
        reviews=roles.may_review(request.user),
    )
    if request.method == "POST" and form.is_valid():
        services.user_profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("users:profile")
    return render(request, "users/user_profile.html", {"form": form})


def _login_answer(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A form page whose password check the login throttle refused (users.backends); the form says why."""
    throttled = getattr(request, "login_throttled", None)
    return response if throttled is None else throttled_answer(response, throttled)


class LoginView(auth_views.LoginView):
    """Django's login; every password check is throttled in users.backends, the admin's too."""

    form_class = LoginForm
    template_name = "users/user_login.html"
    redirect_authenticated_user = True

    def get_redirect_url(self) -> str:
        # A `next` that points back at this page would loop for a logged-in
        # user (Django raises); send them to the default page instead.
        url = super().get_redirect_url()
        return "" if urlsplit(url).path == self.request.path else url

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        return _login_answer(self.request, super().form_invalid(form))


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, but the mail is sent by the consumer, not the request."""

    form_class = PasswordResetForm
    template_name = "users/password_reset_form.html"
    success_url = reverse_lazy("users:password-reset-done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = email_normalize(form.cleaned_data["email"])
        try:
            throttles.throttle_hit(
                (throttles.RESET_PER_IP, client_key(self.request)), (throttles.RESET_PER_EMAIL, mailbox_key(email))
            )
        except throttles.Throttled as throttled:
            context = self.get_context_data(form=form)
            return too_many_requests(
                self.request,
                throttled,
                "Too many reset requests.",
                template=self.template_name,
                context=context,
                form=form,
            )
        services.password_reset_request(email=email)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "users/password_reset_confirm.html"
    success_url = reverse_lazy("users:password-reset-complete")

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        services.password_reset_done(user=form.user)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "users/password_change_form.html"
    success_url = reverse_lazy("users:password-change-done")

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form: PasswordChangeForm) -> HttpResponse:
        return _login_answer(self.request, super().form_invalid(form))


def _reports_describe(user_id: int) -> str | None:
    user = User.objects.filter(pk=user_id, is_active=True).exclude(report_frequency=User.ReportFrequency.OFF).first()
    return None if user is None else f"the reads of your posts (view reports to {user.email})"


reports_unsubscribe = one_click_view(
    OneClick(
        kind=unsubscribe.REPORTS,
        describe=_reports_describe,
        stop=lambda user_id: services.user_reports_stop(user_id=user_id),
    )
)
