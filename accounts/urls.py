from django.urls import path

from accounts.views import pages, session, sign_in

app_name = "accounts"

urlpatterns = [
    path("auth/nhs-login/start/", sign_in.NhsLoginStartView.as_view(), name="nhs_login_start"),
    path(
        "auth/nhs-login/sign-in-again/",
        sign_in.nhs_login_sign_in_again,
        name="nhs_login_sign_in_again",
    ),
    path("auth/nhs-app/", sign_in.nhs_app_jump_off, name="nhs_app_jump_off"),
    path(
        "auth/nhs-login/callback/",
        sign_in.NhsLoginCallbackView.as_view(),
        name="nhs_login_callback",
    ),
    path("auth/prove-who-you-are/", pages.prove_who_you_are, name="prove_who_you_are"),
    path("auth/sign-out/", session.sign_out_confirm, name="sign_out_confirm"),
    path("auth/sign-out/confirm/", session.sign_out, name="sign_out"),
    path("auth/signed-out/", session.signed_out, name="signed_out"),
    path("auth/session/expiring/", session.session_expiring, name="session_expiring"),
    path("auth/session/stay-signed-in/", session.stay_signed_in, name="stay_signed_in"),
    path("home/", pages.home, name="home"),
    path("contact/", pages.contact, name="contact"),
]
