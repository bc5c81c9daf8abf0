"""The areas pages. Every id in a route is an <id:...> (care365/core/ids.py)."""

from django.urls import path

from care365.areas import views

app_name = "areas"

urlpatterns = [
    path("areas/", views.area_list, name="area-list"),
    path("areas/add/", views.area_add, name="area-add"),
    path("areas/merge/", views.area_merge, name="area-merge"),
    path("areas/<id:area_id>/edit/", views.area_edit, name="area-edit"),
]
