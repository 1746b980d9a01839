from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    """Who the user is: NHS login sign-in, the patient's profile and the portal's session;
    practice staff's sign-in to the admin, with its lockout and second factor."""

    name = "accounts"
    default = True

    def ready(self) -> None:
        from accounts.last_login import last_login_for_staff_only

        last_login_for_staff_only()


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin app, on the portal's admin site (accounts/admin_site.py)."""

    default = False
    default_site = "accounts.admin_site.StaffAdminSite"
