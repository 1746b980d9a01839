from django.apps import AppConfig


class NhsLoginSimulatorConfig(AppConfig):
    """An offline NHS login OpenID Provider for development and tests.

    Nothing in the product imports this app; the portal talks to it over HTTP like any
    provider.
    """

    name = "nhs_login_simulator"
    verbose_name = "NHS login simulator"
