"""The patient-facing portal's URLs: each app mounts its own, and the error handlers render
NHS.UK-styled pages. Served with the admin on every host (``citizen_portal.urls``), or alone on
every host but the admin's when it has one (``ADMIN_HOST``, core/admin_host.py)."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

from core import views as core_views

# The apps holding the APIs first: Django tries patterns in order, and an API call, the most
# frequent request, then matches among the first few (docs/adr/0028). No address is matched by
# two patterns, so the order changes nothing else (tests/test_url_order.py).
urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("linkage.urls")),
    path("", include("im1.urls")),
    path("", include("core.urls")),
    path("", include("accounts.urls")),
]

if settings.BENCHMARK_BASELINE_ENABLED:
    # Under /api/: the bare view and the floors go through the chain the API's calls do
    # (docs/adr/0028, docs/adr/0030).
    urlpatterns += [
        path("api/bench/baseline", core_views.benchmark_baseline),
        path("", include("linkage.benchmark_floor")),
        # Not under /api/: on the pages' chain, for a signed-in user.
        path("bench/page-baseline", core_views.benchmark_page_baseline),
    ]

if settings.NHS_LOGIN_SIMULATOR_ENABLED:
    # Wiring only: the portal reaches the simulator over HTTP, like any provider.
    urlpatterns.append(path("nhs-login-simulator/", include("nhs_login_simulator.urls")))

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
