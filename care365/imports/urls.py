"""The import pages (namespace "imports")."""

from django.urls import path

from care365.imports import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.import_index, name="import-index"),
    path("imports/template/<str:kind>/", views.import_template, name="import-template"),
    path("imports/<id:import_id>/", views.import_detail, name="import-detail"),
    path("imports/<id:import_id>/progress/", views.import_progress, name="import-progress"),
    path("imports/<id:import_id>/columns/", views.import_columns, name="import-columns"),
    path("imports/<id:import_id>/check/", views.import_check, name="import-check"),
    path("imports/<id:import_id>/apply/", views.import_apply, name="import-apply"),
    path("imports/<id:import_id>/discard/", views.import_discard, name="import-discard"),
    path("imports/<id:import_id>/report/", views.import_report, name="import-report"),
]
