from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo practice, its synthetic patients and a laptop's set-up (`make run`): installed
    by the local, test and one-machine stack settings only, never by production's, so its
    commands do not exist where real patients are (docs/adr/0003-settings-layout.md)."""

    name = "demo"
