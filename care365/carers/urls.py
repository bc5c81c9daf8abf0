"""The carers pages. Every id in a route is an <id:...> (care365/core/ids.py)."""

from django.urls import path

from care365.carers import views

app_name = "carers"

urlpatterns = [
    path("carers/", views.carer_list_view, name="carer-list"),
    path("carers/add/", views.carer_add, name="carer-add"),
    path("carers/<id:carer_id>/", views.carer_detail, name="carer-detail"),
    path("carers/<id:carer_id>/edit/", views.carer_edit, name="carer-edit"),
    path("carers/<id:carer_id>/vet/", views.carer_vet, name="carer-vet"),
    path("carers/<id:carer_id>/deactivate/", views.carer_deactivate, name="carer-deactivate"),
    path("carers/<id:carer_id>/reactivate/", views.carer_reactivate, name="carer-reactivate"),
    path("organisations/", views.organisation_list, name="organisation-list"),
    path("organisations/add/", views.organisation_add, name="organisation-add"),
    path(
        "organisations/<id:organisation_id>/edit/",
        views.organisation_edit,
        name="organisation-edit",
    ),
    path(
        "organisations/<id:organisation_id>/webhooks/",
        views.organisation_webhooks,
        name="organisation-webhooks",
    ),
    path("webhooks/<id:endpoint_id>/rotate/", views.webhook_rotate, name="webhook-rotate"),
    path(
        "webhooks/<id:endpoint_id>/deactivate/",
        views.webhook_deactivate,
        name="webhook-deactivate",
    ),
    path("webhooks/deliveries/", views.webhook_deliveries, name="webhook-deliveries"),
]
