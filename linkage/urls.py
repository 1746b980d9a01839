from django.urls import path

from linkage import api, views

app_name = "linkage"

urlpatterns = [
    path("api/oauth2/token", api.api_token, name="api_token"),
    path("api/v1/linkage/retrieve", api.linkage_retrieve, name="api_linkage_retrieve"),
    path("api/v1/linkage", api.linkage_create, name="api_linkage_create"),
    path("api/v1/openapi.json", api.openapi_document, name="api_openapi"),
    path("home/linkage-details/", views.linkage_details, name="details"),
    path("home/linkage-details/show-key/", views.linkage_key_show, name="show_key"),
    path("home/linkage-details/create/", views.linkage_key_create_confirm, name="create_confirm"),
    path(
        "home/linkage-details/create/confirm/",
        views.linkage_key_create_submit,
        name="create_submit",
    ),
    path("home/linkage-details/cancel/", views.linkage_key_cancel_confirm, name="cancel"),
]
