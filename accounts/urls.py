from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("nhs-login/start/", views.nhs_login_start, name="nhs_login_start"),
]
