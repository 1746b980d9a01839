from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("", views.start, name="start"),
    path("health/live", views.health_live, name="health_live"),
    path("health/ready", views.health_ready, name="health_ready"),
]
