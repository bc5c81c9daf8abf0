from django.urls import path

from . import (
    ids,  # noqa: F401  # registers the <id:...> converter the routes below use
    views,
)
from .views import auth

app_name = "web"

# Every id in a route is an <id:...>: bounded to what the databases store (web/ids.py), so a
# number too large for them is a 404 like any record that does not exist, never a 500.

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth.SignInView.as_view(), name="login"),
    path("login/code/", auth.login_code, name="login-code"),
    path("login/set-up/", auth.login_enrol, name="login-enrol"),
    path("account/two-step/", auth.two_factor, name="two-factor"),
    path("account/two-step/start/", auth.two_factor_start, name="two-factor-start"),
    path("account/two-step/confirm/", auth.two_factor_confirm, name="two-factor-confirm"),
    path("account/two-step/recovery-codes/", auth.two_factor_codes, name="two-factor-codes"),
    path("account/two-step/remove/", auth.two_factor_remove, name="two-factor-remove"),
    path("account/tokens/", auth.api_tokens, name="api-tokens"),
    path("account/tokens/<id:token_id>/revoke/", auth.api_token_revoke, name="api-token-revoke"),
    path(
        "account/users/<id:user_id>/tokens/revoke/",
        auth.user_tokens_revoke,
        name="user-tokens-revoke",
    ),
    path("logout/", auth.SignOutView.as_view(), name="logout"),
    path("children/", views.child_list_view, name="child-list"),
    path("children/search/", views.child_search, name="child-search"),
    path("children/open/", views.child_break_glass, name="child-break-glass"),
    path("children/register/", views.child_register, name="child-register"),
    path("children/<id:child_id>/", views.child_detail, name="child-detail"),
    path("children/<id:child_id>/reveal-id/", views.child_reveal_id, name="child-reveal-id"),
    path("children/<id:child_id>/confirm-id/", views.child_confirm_id, name="child-confirm-id"),
    path("children/<id:child_id>/edit/", views.child_edit, name="child-edit"),
    path("children/<id:child_id>/exit/", views.child_exit, name="child-exit"),
    path("children/<id:child_id>/export/", views.child_export, name="child-export"),
    path("children/<id:child_id>/statuses/add/", views.status_add, name="status-add"),
    path(
        "children/<id:child_id>/statuses/<str:kind>/end/",
        views.status_end,
        name="status-end",
    ),
    path(
        "children/<id:child_id>/parents/<str:role>/return/",
        views.parent_return,
        name="parent-return",
    ),
    path("duplicates/<id:flag_id>/resolve/", views.duplicate_resolve, name="duplicate-resolve"),
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
    path("children/<id:child_id>/alerts/", views.alert_raise, name="alert-raise"),
    path("children/<id:child_id>/help-card/", views.help_card, name="help-card"),
    path("alerts/", views.alert_board, name="alert-board"),
    path("alerts/response-times/", views.alert_response_times, name="alert-response-times"),
    path("alerts/policy/", views.escalation_policy, name="escalation-policy"),
    path("alerts/<id:alert_id>/", views.alert_detail, name="alert-detail"),
    path("alerts/<id:alert_id>/<str:action>/", views.alert_act, name="alert-act"),
    path("h/<str:token>/", views.help_page, name="help-page"),
    path("carers/", views.carer_list_view, name="carer-list"),
    path("carers/<id:carer_id>/", views.carer_detail, name="carer-detail"),
    path("pairing/", views.pairing_index, name="pairing"),
    path("pairing/propose/", views.pairing_propose, name="pairing-propose"),
    path("pairing/settings/", views.pairing_settings, name="pairing-settings"),
    path("pairing/runs/<id:run_id>/", views.pairing_run, name="pairing-run"),
    path("pairing/runs/<id:run_id>/approve/", views.pairing_approve, name="pairing-approve"),
    path("notices/read/", views.notices_read, name="notices-read"),
    path("access-log/", views.access_log, name="access-log"),
    path("transfers/", views.transfer_requests, name="transfer-list"),
    path(
        "transfers/<id:transfer_id>/<str:decision>/",
        views.transfer_decide,
        name="transfer-decide",
    ),
    # Daily care: contacts, the due list, health, screenings, the risk list, wishes, events.
    path("care/due/", views.due_list, name="care-due"),
    path("care/tasks/<id:task_id>/done/", views.care_task_done, name="care-task-done"),
    path("care/examinations/", views.examinations_due, name="care-exams-due"),
    path("care/health-sessions/", views.health_sessions, name="care-health-sessions"),
    path("care/risk/", views.risk_list, name="care-risk"),
    path("care/wishes/", views.wishes, name="care-wishes"),
    path("care/wishes/<id:wish_id>/<str:action>/", views.wish_act, name="care-wish-act"),
    path("care/events/", views.care_events, name="care-events"),
    path("children/<id:child_id>/contacts/new/", views.contact_log, name="care-contact-log"),
    path(
        "children/<id:child_id>/examinations/new/",
        views.examination_record,
        name="care-exam-record",
    ),
    path(
        "children/<id:child_id>/screenings/new/",
        views.screening_record,
        name="care-screening-record",
    ),
    path("children/<id:child_id>/wishes/new/", views.wish_post, name="care-wish-post"),
]
