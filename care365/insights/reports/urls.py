"""The reports' routes, included by care365/insights/urls.py (namespace "insights")."""

from django.urls import path

from care365.insights.reports import views

urlpatterns = [
    path("reports/", views.report_list, name="report-list"),
    path("reports/<id:report_id>/", views.report_detail, name="report-detail"),
    path("reports/<id:report_id>/progress/", views.report_progress, name="report-progress"),
    path("reports/<id:report_id>/<str:fmt>/", views.report_download, name="report-download"),
]
