from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Site-wide pieces with no domain of their own: the Jinja2 environment, the start page,
    error pages and health checks."""

    name = "core"
