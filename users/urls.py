from django.contrib.auth import views as auth_views
from django.urls import path

from users import team_views, views

app_name = "users"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/done/", views.signup_done, name="signup-done"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="users/password_change_done.html"),
        name="password-change-done",
    ),
    path("password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="users/password_reset_done.html"),
        name="password-reset-done",
    ),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="users/password_reset_complete.html"),
        name="password-reset-complete",
    ),
    path("reports/unsubscribe/<str:token>/", views.reports_unsubscribe, name="reports-unsubscribe"),
    path("verify/resend/", views.verification_resend, name="verification-resend"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("team/", team_views.team_page, name="team"),
    path("team/invitations/<int:pk>/revoke/", team_views.invitation_revoke, name="invitation-revoke"),
    path("team/<int:pk>/suspend/", team_views.member_suspend, name="member-suspend"),
    path("invitations/<str:token>/", team_views.invitation_accept, name="invitation-accept"),
]
