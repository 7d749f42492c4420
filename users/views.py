from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from site.http import client_ip
from users import services, throttles
from users.forms import LoginForm, PasswordResetRequestForm, ProfileForm, SignupForm


def signup(request):
    if request.user.is_authenticated:
        return redirect("blog:post-list")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            throttles.throttle_hit(throttles.SIGNUP_PER_IP, client_ip(request))
            throttles.throttle_hit(throttles.SIGNUP_PER_EMAIL, email)
        except throttles.Throttled as throttled:
            form.add_error(None, f"Too many sign-ups from here. Please try again in {throttled.wait_text}.")
            return render(request, "users/user_signup.html", {"form": form}, status=429)
        try:
            services.user_create(
                email=email, password=form.cleaned_data["password1"], display_name=form.cleaned_data["display_name"]
            )
        except services.EmailTaken:
            # Same answer as for a new address; the owner gets a mail instead.
            services.signup_repeat(email=email)
        request.session["signup_email"] = email
        return redirect("users:signup-done")
    return render(request, "users/user_signup.html", {"form": form})


def signup_done(request):
    return render(request, "users/user_signup_done.html", {"email": request.session.get("signup_email", "")})


def verify(request, token):
    try:
        user = services.user_verify(token=token)
    except services.VerificationFailed as failure:
        return render(request, "users/user_verify_failed.html", {"reason": failure.reason}, status=400)
    messages.success(request, "Thanks, your email address is verified.")
    return render(request, "users/user_verify_done.html", {"verified_user": user})


@login_required
@require_POST
def verification_resend(request):
    try:
        throttles.throttle_hit(throttles.RESEND_PER_ACCOUNT, request.user.pk)
        throttles.throttle_hit(throttles.RESEND_PER_IP, client_ip(request))
    except throttles.Throttled as throttled:
        messages.warning(request, f"You asked for several links already. Please try again in {throttled.wait_text}.")
    else:
        if services.verification_request(user=request.user) is None:
            messages.info(request, "Your email address is already verified.")
        else:
            messages.success(request, f"We are sending a new verification link to {request.user.email}.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("blog:post-list")
    # Not redirect(): it would try a bare word like "0" as a URL name.
    return HttpResponseRedirect(next_url)


@login_required
def profile(request):
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_profile_update(user=request.user, display_name=form.cleaned_data["display_name"])
        messages.success(request, "Profile saved.")
        return redirect("users:profile")
    return render(request, "users/user_profile.html", {"form": form})


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "users/user_login.html"
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    template_name = "users/password_reset_form.html"
    success_url = reverse_lazy("users:password-reset-done")

    def form_valid(self, form):
        try:
            throttles.throttle_hit(throttles.RESET_PER_IP, client_ip(self.request))
            throttles.throttle_hit(throttles.RESET_PER_EMAIL, form.cleaned_data["email"].lower())
        except throttles.Throttled as throttled:
            form.add_error(None, f"Too many reset requests. Please try again in {throttled.wait_text}.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "users/password_reset_confirm.html"
    success_url = reverse_lazy("users:password-reset-complete")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "users/password_change_form.html"
    success_url = reverse_lazy("users:password-change-done")
