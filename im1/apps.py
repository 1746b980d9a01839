from django.apps import AppConfig


class Im1Config(AppConfig):
    """The GP system's side of IM1 pairing: partners pair with a patient's record by the
    patient's linkage information, then read it over a connection (docs/im1-api.md)."""

    name = "im1"

    def ready(self) -> None:
        # A P9 sign-in lifts the patient's pairing lock: connected here, so that accounts,
        # which sends the signal, never imports im1 (docs/adr/0025).
        from im1 import signals  # noqa: F401
