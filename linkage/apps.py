from django.apps import AppConfig


class LinkageConfig(AppConfig):
    """The practice register, linkage keys, their JSON API and their audit (NL01)."""

    name = "linkage"
