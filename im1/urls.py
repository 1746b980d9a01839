from django.urls import path

from im1 import api, patient_views

app_name = "im1"

# The IM1 API, as its OpenAPI document describes it (im1/openapi.json).
api_urlpatterns = [
    path("api/im1/v1/pairings", api.im1_pairing, name="api_pairings"),
    path("api/im1/v1/patient", api.im1_patient, name="api_patient"),
    path("api/im1/v1/openapi.json", api.im1_openapi_document, name="api_openapi"),
]

urlpatterns = [
    *api_urlpatterns,
    path(
        "home/linkage-details/connected-apps/<int:connection_id>/disconnect/",
        patient_views.connected_app_disconnect,
        name="disconnect",
    ),
]
