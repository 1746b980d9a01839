from django.urls import path

from linkage import api

app_name = "linkage"

urlpatterns = [
    path("api/oauth2/token", api.api_token, name="api_token"),
    path("api/v1/linkage/retrieve", api.linkage_retrieve, name="api_linkage_retrieve"),
    path("api/v1/linkage", api.linkage_create, name="api_linkage_create"),
    path("api/v1/openapi.json", api.openapi_document, name="api_openapi"),
]
