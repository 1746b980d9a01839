"""Root URLs: the patient-facing portal and, at /admin/, the practice administration, on every
host. With ``ADMIN_HOST`` set each host gets only its own (core/admin_host.py)."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, path

from citizen_portal import portal_urls

urlpatterns: list[URLPattern | URLResolver] = [
    *portal_urls.urlpatterns,
    path("admin/", admin.site.urls),
]

handler400 = portal_urls.handler400
handler403 = portal_urls.handler403
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500
