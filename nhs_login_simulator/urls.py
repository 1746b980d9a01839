from django.urls import path

from nhs_login_simulator import views

app_name = "nhs_login_simulator"

urlpatterns = [
    path(".well-known/openid-configuration", views.discovery, name="discovery"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    path("authorize", views.authorize, name="authorize"),
    path("authorize/test-user", views.sign_in_test_user, name="sign_in_test_user"),
    path("authorize/password", views.sign_in_password, name="sign_in_password"),
    path("authorize/prove-who-you-are", views.step_up_confirm, name="step_up_confirm"),
    path("token", views.token, name="token"),
    path("userinfo", views.userinfo, name="userinfo"),
]
