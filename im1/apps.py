from django.apps import AppConfig


class Im1Config(AppConfig):
    """The GP system's side of IM1 pairing: partners pair with a patient's record by the
    patient's linkage information, then read it over a connection (docs/im1-api.md)."""

    name = "im1"
    verbose_name = "IM1 apps"

    def ready(self) -> None:
        # A P9 sign-in lifts the patient's pairing lock: connected here, so that accounts,
        # which sends the signal, never imports im1 (docs/adr/0025).
        from im1 import signals  # noqa: F401
        from im1.patient_views import connected_apps_section
        from linkage.page_sections import details_page_section_register

        # The apps connected with the patient's details, listed on linkage's details page.
        details_page_section_register(connected_apps_section)
