from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("auth/nhs-login/start/", views.NhsLoginStartView.as_view(), name="nhs_login_start"),
    path(
        "auth/nhs-login/sign-in-again/",
        views.nhs_login_sign_in_again,
        name="nhs_login_sign_in_again",
    ),
    path("auth/nhs-app/", views.nhs_app_jump_off, name="nhs_app_jump_off"),
    path(
        "auth/nhs-login/callback/", views.NhsLoginCallbackView.as_view(), name="nhs_login_callback"
    ),
    path("auth/prove-who-you-are/", views.prove_who_you_are, name="prove_who_you_are"),
    path("auth/sign-out/", views.sign_out_confirm, name="sign_out_confirm"),
    path("auth/sign-out/confirm/", views.sign_out, name="sign_out"),
    path("auth/signed-out/", views.signed_out, name="signed_out"),
    path("auth/session/expiring/", views.session_expiring, name="session_expiring"),
    path("auth/session/stay-signed-in/", views.stay_signed_in, name="stay_signed_in"),
    path("home/", views.home, name="home"),
]
