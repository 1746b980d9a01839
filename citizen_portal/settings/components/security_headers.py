"""Cookies and response headers safe in every environment: Content Security Policy
(django-csp), Permissions Policy (django-permissions-policy) and Django's own. ``deployed``
adds the HTTPS-only ones (secure cookies, HSTS, the HTTPS redirect)."""

from __future__ import annotations

from csp.constants import NONCE, NONE, SELF

from citizen_portal.settings.components.simulator import PORTAL_MIDDLEWARE_EXEMPT_PREFIXES

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

# Content Security Policy (django-csp), in every environment so that development meets it
# first. No inline script but the page template's one line, which carries the nonce; fonts
# from the NHS's own font host; forms may post to ourselves and be redirected to NHS login,
# whose origins the middleware adds to form-action on each response, from the issuer configured
# then and its discovery document (accounts/content_security_policy.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "https://assets.nhs.uk"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
    # The simulator's pages set a policy of their own (simulator.py, simulator_install).
    "EXCLUDE_URL_PREFIXES": [*PORTAL_MIDDLEWARE_EXEMPT_PREFIXES],
}
# The API's answers are JSON, never a document: nothing may load, frame, submit or be based on
# them (core/api_middleware.py, docs/adr/0028).
API_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Nothing here uses these browser features: say so, so nothing embedded can either.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}
