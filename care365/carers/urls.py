"""The carers pages. Every id in a route is an <id:...> (care365/core/ids.py)."""

from django.urls import path

from care365.carers import views

app_name = "carers"

urlpatterns = [
    path("carers/", views.carer_list_view, name="carer-list"),
    path("carers/<id:carer_id>/", views.carer_detail, name="carer-detail"),
]
