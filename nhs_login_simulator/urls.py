from django.urls import path

from nhs_login_simulator.views import (
    account_settings,
    authorize,
    back_channel,
    claim,
    discovery,
    provisioning,
)

app_name = "nhs_login_simulator"

urlpatterns = [
    path(".well-known/openid-configuration", discovery.discovery, name="discovery"),
    path(".well-known/jwks.json", discovery.jwks, name="jwks"),
    path("trustmark/<str:host>", discovery.trustmark, name="trustmark"),
    path("authorize", authorize.authorize, name="authorize"),
    path("authorize/test-user", authorize.sign_in_test_user, name="sign_in_test_user"),
    path("authorize/password", authorize.sign_in_password, name="sign_in_password"),
    path("authorize/prove-who-you-are", authorize.step_up_confirm, name="step_up_confirm"),
    path("authorize/consent/share", authorize.consent_share, name="consent_share"),
    path("authorize/consent/decline", authorize.consent_decline, name="consent_decline"),
    path(
        "authorize/consent/decline/confirm",
        authorize.consent_decline_confirm,
        name="consent_decline_confirm",
    ),
    path("authorize/consent/review", authorize.consent_review, name="consent_review"),
    path("token", back_channel.token, name="token"),
    path("userinfo", back_channel.userinfo, name="userinfo"),
    path("settings", account_settings.account_settings, name="account_settings"),
    path(
        "settings/sign-in",
        account_settings.account_settings_sign_in,
        name="account_settings_sign_in",
    ),
    path(
        "provisioning/provision-account",
        provisioning.provision_account,
        name="provision_account",
    ),
    path(
        "provisioning/settings",
        provisioning.provisioning_settings,
        name="provisioning_settings",
    ),
    path(
        "provisioning/messages",
        provisioning.provisioning_messages,
        name="provisioning_messages",
    ),
    path("provisioning/claim/<str:claim_token>", claim.claim_start, name="claim_start"),
    path(
        "provisioning/claim/<str:claim_token>/passcode",
        claim.claim_passcode,
        name="claim_passcode",
    ),
    path(
        "provisioning/claim/<str:claim_token>/password",
        claim.claim_password,
        name="claim_password",
    ),
]
