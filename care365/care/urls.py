"""The care pages. Every id in a route is an <id:...> (care365/core/ids.py)."""

from django.urls import path

from care365.care import views

app_name = "care"

urlpatterns = [
    path("care/due/", views.due_list, name="care-due"),
    path("care/tasks/<id:task_id>/done/", views.care_task_done, name="care-task-done"),
    path("care/examinations/", views.examinations_due, name="care-exams-due"),
    path("care/health-sessions/", views.health_sessions, name="care-health-sessions"),
    path(
        "care/health-sessions/figures/",
        views.health_session_figures,
        name="care-health-session-figures",
    ),
    path("care/risk/", views.risk_list, name="care-risk"),
    path("care/wishes/", views.wishes, name="care-wishes"),
    path("care/wishes/<id:wish_id>/<str:action>/", views.wish_act, name="care-wish-act"),
    path("care/events/", views.care_events, name="care-events"),
    path("care/gifts/", views.gifts, name="care-gifts"),
    path("care/events/<id:event_id>/gifts/", views.event_gifts, name="care-event-gifts"),
    path("care/gifts/<id:gift_id>/<str:action>/", views.gift_act, name="care-gift-act"),
    path("care/donors/", views.donors, name="care-donors"),
    path("care/donors/<id:organisation_id>/", views.donor_totals, name="care-donor-totals"),
    path("care/donors/<id:organisation_id>/thank/", views.donor_thank, name="care-donor-thank"),
    path("care/settings/", views.care_settings, name="care-settings"),
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
    path("children/<id:child_id>/learning/", views.child_learning, name="care-learning"),
    path(
        "children/<id:child_id>/learning/goals/new/",
        views.learning_goal_set,
        name="care-learning-goal",
    ),
    path(
        "children/<id:child_id>/learning/notes/new/",
        views.learning_note_add,
        name="care-learning-note",
    ),
    path(
        "children/<id:child_id>/learning/interests/new/",
        views.interest_activity_record,
        name="care-learning-interest",
    ),
]
