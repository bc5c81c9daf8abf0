from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .views import auth

app_name = "web"

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
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("children/", views.child_list_view, name="child-list"),
    path("children/search/", views.child_search, name="child-search"),
    path("children/open/", views.child_break_glass, name="child-break-glass"),
    path("children/register/", views.child_register, name="child-register"),
    path("children/<int:child_id>/", views.child_detail, name="child-detail"),
    path("children/<int:child_id>/reveal-id/", views.child_reveal_id, name="child-reveal-id"),
    path("children/<int:child_id>/edit/", views.child_edit, name="child-edit"),
    path("children/<int:child_id>/exit/", views.child_exit, name="child-exit"),
    path("children/<int:child_id>/export/", views.child_export, name="child-export"),
    path("children/<int:child_id>/statuses/add/", views.status_add, name="status-add"),
    path(
        "children/<int:child_id>/statuses/<str:kind>/end/",
        views.status_end,
        name="status-end",
    ),
    path(
        "children/<int:child_id>/parents/<str:role>/return/",
        views.parent_return,
        name="parent-return",
    ),
    path("duplicates/<int:flag_id>/resolve/", views.duplicate_resolve, name="duplicate-resolve"),
    path("children/<int:child_id>/pair-rules/", views.pair_rule_set, name="pair-rule-set"),
    path(
        "children/<int:child_id>/pair-rules/<int:rule_id>/remove/",
        views.pair_rule_remove,
        name="pair-rule-remove",
    ),
    path("children/<int:child_id>/consents/", views.consent_record, name="consent-record"),
    path(
        "children/<int:child_id>/consents/<str:purpose>/withdraw/",
        views.consent_withdraw,
        name="consent-withdraw",
    ),
    path("children/<int:child_id>/alerts/", views.alert_raise, name="alert-raise"),
    path("children/<int:child_id>/help-card/", views.help_card, name="help-card"),
    path("alerts/", views.alert_board, name="alert-board"),
    path("alerts/response-times/", views.alert_response_times, name="alert-response-times"),
    path("alerts/policy/", views.escalation_policy, name="escalation-policy"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert-detail"),
    path("alerts/<int:alert_id>/<str:action>/", views.alert_act, name="alert-act"),
    path("h/<str:token>/", views.help_page, name="help-page"),
    path("carers/", views.carer_list_view, name="carer-list"),
    path("carers/<int:carer_id>/", views.carer_detail, name="carer-detail"),
    path("pairing/", views.pairing_index, name="pairing"),
    path("pairing/propose/", views.pairing_propose, name="pairing-propose"),
    path("pairing/settings/", views.pairing_settings, name="pairing-settings"),
    path("pairing/runs/<int:run_id>/", views.pairing_run, name="pairing-run"),
    path("pairing/runs/<int:run_id>/approve/", views.pairing_approve, name="pairing-approve"),
    path("notices/read/", views.notices_read, name="notices-read"),
    path("access-log/", views.access_log, name="access-log"),
]
