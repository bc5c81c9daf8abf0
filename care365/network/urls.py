"""The network's pages (namespace "network"). The public report pages carry no id at all; the
poster an area's id (an area is not a child); staff pages numeric ids only (<id:...>)."""

from django.urls import path

from care365.network import views

app_name = "network"

urlpatterns = [
    path("report/", views.report_page, name="report-page"),
    path("report/status/", views.report_status, name="report-status"),
    path("report/poster/<id:area_id>/", views.report_poster, name="report-poster"),
    path("mandatory-reports/", views.report_list, name="mandatory-report-list"),
    path(
        "mandatory-reports/<id:mandatory_report_id>/",
        views.report_detail,
        name="mandatory-report-detail",
    ),
    path(
        "mandatory-reports/tasks/<id:task_id>/done/",
        views.registration_task_done,
        name="registration-task-done",
    ),
    path("referrals/", views.referral_list, name="referral-list"),
    path("referrals/<id:referral_id>/", views.referral_detail, name="referral-detail"),
    path("referrals/<id:referral_id>/<slug:action>/", views.referral_step, name="referral-step"),
    path("children/<id:child_id>/refer/", views.referral_add, name="referral-add"),
    path("conferences/", views.conference_list, name="conference-list"),
    path("conferences/<id:conference_id>/", views.conference_detail, name="conference-detail"),
    path("conferences/<id:conference_id>/edit/", views.conference_edit, name="conference-edit"),
    path(
        "conferences/<id:conference_id>/<slug:action>/",
        views.conference_step,
        name="conference-step",
    ),
    path("children/<id:child_id>/conference/", views.conference_add, name="conference-add"),
    path(
        "conferences/<id:conference_id>/attendees/<id:attendee_id>/remove/",
        views.conference_attendee_remove,
        name="conference-attendee-remove",
    ),
    path(
        "conference-actions/<id:action_id>/edit/",
        views.conference_action_edit,
        name="conference-action-edit",
    ),
    path("my-actions/", views.conference_actions_mine, name="conference-actions-mine"),
    path(
        "conference-actions/<id:action_id>/done/",
        views.conference_action_done,
        name="conference-action-done",
    ),
]
