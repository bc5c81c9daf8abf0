"""The protection pages. Every id in a route is an <id:...> (care365/core/ids.py)."""

from django.urls import path

from care365.protection import views

app_name = "protection"

urlpatterns = [
    path("children/<id:child_id>/alerts/", views.alert_raise, name="alert-raise"),
    path("children/<id:child_id>/help-card/", views.help_card, name="help-card"),
    path("alerts/", views.alert_board, name="alert-board"),
    path("alerts/response-times/", views.alert_response_times, name="alert-response-times"),
    path("alerts/policy/", views.escalation_policy, name="escalation-policy"),
    path("alerts/<id:alert_id>/", views.alert_detail, name="alert-detail"),
    path("alerts/<id:alert_id>/<str:action>/", views.alert_act, name="alert-act"),
    path("h/<str:token>/", views.help_page, name="help-page"),
]
