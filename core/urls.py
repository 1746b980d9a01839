from django.urls import path

from core import information_pages, views

app_name = "core"

urlpatterns = [
    path("", views.start, name="start"),
    path("health/live", views.health_live, name="health_live"),
    path("health/ready", views.health_ready, name="health_ready"),
    path(
        "accessibility-statement/",
        information_pages.accessibility_statement,
        name="accessibility_statement",
    ),
    path("privacy/", information_pages.privacy_notice, name="privacy"),
    path("cookies/", information_pages.cookies, name="cookies"),
    path("terms/", information_pages.terms_of_use, name="terms"),
]
