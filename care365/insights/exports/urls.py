"""The list exports' routes, included by care365/insights/urls.py (namespace "insights"). The
URL names the list and the format only; the page's filters travel as its query string."""

from django.urls import path

from care365.insights.exports import views

urlpatterns = [
    path("exports/children.<str:fmt>", views.export_children, name="export-children"),
    path("exports/carers.<str:fmt>", views.export_carers, name="export-carers"),
    path("exports/due.<str:fmt>", views.export_due, name="export-due"),
    path("exports/risk.<str:fmt>", views.export_risk, name="export-risk"),
    path("exports/alerts.<str:fmt>", views.export_alerts, name="export-alerts"),
]
