"""The accounts pages. Every id in a route is an <id:...> (care365/core/ids.py)."""

from django.urls import path

from care365.accounts import views

app_name = "accounts"

urlpatterns = [
    path("children/open/", views.child_break_glass, name="child-break-glass"),
    path("access-log/", views.access_log, name="access-log"),
    path("users/", views.user_list, name="user-list"),
    path("users/add/", views.user_add, name="user-add"),
    path("users/<id:user_id>/", views.user_edit, name="user-edit"),
    path(
        "users/<id:user_id>/<str:action>/",
        views.user_action,
        name="user-action",
    ),
]
