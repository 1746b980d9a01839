from django.urls import path

from nhs_login_simulator import views

app_name = "nhs_login_simulator"

urlpatterns = [
    path(".well-known/openid-configuration", views.discovery, name="discovery"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    path("trustmark/<str:host>", views.trustmark, name="trustmark"),
    path("authorize", views.authorize, name="authorize"),
    path("authorize/test-user", views.sign_in_test_user, name="sign_in_test_user"),
    path("authorize/password", views.sign_in_password, name="sign_in_password"),
    path("authorize/prove-who-you-are", views.step_up_confirm, name="step_up_confirm"),
    path("authorize/consent/share", views.consent_share, name="consent_share"),
    path("authorize/consent/decline", views.consent_decline, name="consent_decline"),
    path(
        "authorize/consent/decline/confirm",
        views.consent_decline_confirm,
        name="consent_decline_confirm",
    ),
    path("authorize/consent/review", views.consent_review, name="consent_review"),
    path("token", views.token, name="token"),
    path("userinfo", views.userinfo, name="userinfo"),
    path("settings", views.account_settings, name="account_settings"),
    path("settings/sign-in", views.account_settings_sign_in, name="account_settings_sign_in"),
]
