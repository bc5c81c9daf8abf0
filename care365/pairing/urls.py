"""The pairing pages. Every id in a route is an <id:...> (care365/core/ids.py)."""

from django.urls import path

from care365.pairing import views

app_name = "pairing"

urlpatterns = [
    path("children/<id:child_id>/pair-rules/", views.pair_rule_set, name="pair-rule-set"),
    path(
        "children/<id:child_id>/pair-rules/<id:rule_id>/remove/",
        views.pair_rule_remove,
        name="pair-rule-remove",
    ),
    path("children/<id:child_id>/consents/", views.consent_record, name="consent-record"),
    path(
        "children/<id:child_id>/consents/<str:purpose>/withdraw/",
        views.consent_withdraw,
        name="consent-withdraw",
    ),
    path("pairing/", views.pairing_index, name="pairing"),
    path("pairing/propose/", views.pairing_propose, name="pairing-propose"),
    path("pairing/settings/", views.pairing_settings, name="pairing-settings"),
    path("pairing/runs/<id:run_id>/", views.pairing_run, name="pairing-run"),
    path("pairing/runs/<id:run_id>/approve/", views.pairing_approve, name="pairing-approve"),
    path(
        "pairing/children/<id:child_id>/assign/<str:role>/",
        views.pairing_assign,
        name="pairing-assign",
    ),
    path("pairing/carers/<id:carer_id>/capacity/", views.carer_capacity, name="carer-capacity"),
]
