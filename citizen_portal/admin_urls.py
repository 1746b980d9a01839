"""The admin's own host (``ADMIN_HOST``, core/admin_host.py): the practice administration and
the health checks its load balancer probes, nothing patient-facing. Errors get Django's plain
pages: the portal's own link to its start page, which is not here."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, path

from core import views as core_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("health/live", core_views.health_live),
    path("health/ready", core_views.health_ready),
    path("admin/", admin.site.urls),
]
