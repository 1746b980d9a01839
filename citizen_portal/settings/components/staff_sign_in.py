"""Practice staff's sign-in to Django admin (docs/adr/0011): a username and password, a second
factor (django-otp), lockouts after failed tries (django-axes), and the admin's own host."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from citizen_portal.settings.components.portal import SERVICE_NAME, env, env_bool

# Failed sign-ins are counted in the database by django-axes, per username and, apart, per
# client address (the trusted address of core/client_address.py); at either limit sign-in is
# refused, even with the right password, until ADMIN_LOCKOUT_MINUTES after the last failure.
# A username that does not exist is counted and locked like one that does.
ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT = env.int("ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT", default=5)
# Larger: a GP practice's staff share one address, and a few mistyped passwords each must not
# lock the whole practice out.
ADMIN_LOCKOUT_FAILURES_PER_ADDRESS = env.int("ADMIN_LOCKOUT_FAILURES_PER_ADDRESS", default=20)
ADMIN_LOCKOUT_MINUTES = env.int("ADMIN_LOCKOUT_MINUTES", default=15)
for _name, _value in (
    ("ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT", ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT),
    ("ADMIN_LOCKOUT_FAILURES_PER_ADDRESS", ADMIN_LOCKOUT_FAILURES_PER_ADDRESS),
    ("ADMIN_LOCKOUT_MINUTES", ADMIN_LOCKOUT_MINUTES),
):
    if _value < 1:  # zero would lock every sign-in out, or none
        raise ImproperlyConfigured(f"{_name} must be at least 1, not {_value}")
# Who a locked-out or stuck member of staff should contact besides their practice's
# administrator, as shown on the admin's pages (e.g. "the service desk on 0300 000 0000").
ADMIN_SERVICE_DESK = env.str("ADMIN_SERVICE_DESK", default="your IT supplier's service desk")
# Staff must pass a second factor (a TOTP authenticator app, django-otp) to use the admin;
# those without one set it up at their first sign-in. On unless turned off (local settings).
ADMIN_TWO_FACTOR_REQUIRED = env_bool("ADMIN_TWO_FACTOR_REQUIRED", default=True)
# A host name of the admin's own (e.g. admin.portal.example.org): /admin/ is then served there
# only, and nothing but the admin and health checks is (core/admin_host.py). Empty: the admin
# is at /admin/ on every host. Must be listed in ALLOWED_HOSTS too.
ADMIN_HOST = env.str("ADMIN_HOST", default="").strip().lower()

# django-axes, as the lines above configure it (accounts/staff_lockout.py).
# No banner on every manage.py command; lockouts themselves are still logged.
AXES_VERBOSE = False
AXES_HANDLER = "accounts.staff_lockout.StaffLockoutHandler"
AXES_LOCK_OUT_AT_FAILURE = True
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# axes compares every parameter with one limit; the handler gives each its own and uses this
# one only where axes itself needs a number.
AXES_FAILURE_LIMIT = max(ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT, ADMIN_LOCKOUT_FAILURES_PER_ADDRESS)
AXES_COOLOFF_TIME = timedelta(minutes=ADMIN_LOCKOUT_MINUTES)
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_lockout_address"
AXES_LOCKOUT_CALLABLE = "accounts.staff_lockout.staff_locked_out_response"
# Only the admin's sign-in: patients sign in through NHS login, whose own controls apply.
AXES_ONLY_ADMIN_SITE = True
AXES_HTTP_RESPONSE_CODE = 429
# Never written to the attempts' stored form data, nor logged.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken"]
# Tries while locked out are refused without being counted, so the time shown on the lockout
# page holds; a success does not wipe the address's count of other accounts' failures.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False
# The project's own admin for attempts and sign-ins (accounts/admin.py), superusers only.
AXES_ENABLE_ADMIN = False

# django-otp's TOTP devices: the name authenticator apps show, and throttling on (each wrong
# code doubles the wait before the next is checked: 1 s, 2 s, 4 s ...).
OTP_TOTP_ISSUER = f"{SERVICE_NAME} admin"
OTP_TOTP_THROTTLE_FACTOR = 1
