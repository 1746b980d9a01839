from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    """NHS login account provisioning by practice staff (docs/provisioning.md)."""

    name = "provisioning"
    verbose_name = "NHS login provisioning"
