"""The dashboards: an area's figures, drilling down by clicking. Every id is an <id:...>."""

from django.urls import path

from care365.insights import views
from care365.insights.exports import urls as exports_urls
from care365.insights.reports import urls as reports_urls

app_name = "insights"

urlpatterns = [
    path("insights/", views.dashboard, name="dashboard"),
    path("insights/areas/<id:area_id>/", views.dashboard, name="area-dashboard"),
    *exports_urls.urlpatterns,
    *reports_urls.urlpatterns,
]
