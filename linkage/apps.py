from django.apps import AppConfig


class LinkageConfig(AppConfig):
    """The practice register, linkage keys, their JSON API and their audit (NL01)."""

    name = "linkage"

    def ready(self) -> None:
        """The patient's pages (accounts) read the practice a patient's code names through
        the seam accounts offers (accounts/gp_practices.py)."""
        from accounts.gp_practices import gp_practice_lookup_register
        from linkage.selectors import gp_practice_for_ods_code

        gp_practice_lookup_register(gp_practice_for_ods_code)
