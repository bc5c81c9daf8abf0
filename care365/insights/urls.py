"""The dashboards: an area's figures, drilling down by clicking. Every id is an <id:...>."""

from django.urls import path

from care365.insights import views

app_name = "insights"

urlpatterns = [
    path("insights/", views.dashboard, name="dashboard"),
    path("insights/areas/<id:area_id>/", views.dashboard, name="area-dashboard"),
]
