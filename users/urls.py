from django.contrib.auth import views as auth_views
from django.urls import path

from users import views

app_name = "users"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/done/", views.signup_done, name="signup-done"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("verify/resend/", views.verification_resend, name="verification-resend"),
    path("verify/<str:token>/", views.verify, name="verify"),
]
