"""The Content Security Policy's form-action, following NHS login as configured now.

The NHS login button (and every other sign-in form) posts to the portal, which redirects the
browser to NHS login's authorization endpoint; a browser enforces form-action along that
redirect, so the page's policy must name where it leads. Settings cannot say it when they load:
locally the issuer is known only after the simulator's address is (citizen_portal/settings/
local.py), tests and operators change it, and the authorization endpoint comes from discovery.
So django-csp's middleware adds it to each response, from settings and the last discovery read
(accounts/nhs_login_client.py, ``sign_in_form_origins``).
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase

from accounts.nhs_login_client import sign_in_form_origins


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with NHS login's origins in form-action."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts: PolicyParts = super().get_policy_parts(request, response, report_only)
        if report_only or not response.get("Content-Type", "").startswith("text/html"):
            return parts  # only a page has forms: the API and health checks never ask
        update = dict(parts.update or {})
        update["form-action"] = [*update.get("form-action", []), *sign_in_form_origins()]
        parts.update = update
        return parts
