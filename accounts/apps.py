from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Who the user is: NHS login sign-in, the patient's profile and the portal's session."""

    name = "accounts"
