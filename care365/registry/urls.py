"""The registry pages. Every id in a route is an <id:...> (care365/core/ids.py)."""

from django.urls import path

from care365.registry import views

app_name = "registry"

urlpatterns = [
    path("children/", views.child_list_view, name="child-list"),
    path("children/search/", views.child_search, name="child-search"),
    path("children/register/", views.child_register, name="child-register"),
    path("children/<id:child_id>/", views.child_detail, name="child-detail"),
    path("children/<id:child_id>/reveal-id/", views.child_reveal_id, name="child-reveal-id"),
    path("children/<id:child_id>/confirm-id/", views.child_confirm_id, name="child-confirm-id"),
    path("children/<id:child_id>/edit/", views.child_edit, name="child-edit"),
    path("children/<id:child_id>/exit/", views.child_exit, name="child-exit"),
    path("children/<id:child_id>/export/", views.child_export, name="child-export"),
    path("children/<id:child_id>/statuses/add/", views.status_add, name="status-add"),
    path("children/<id:child_id>/statuses/<str:kind>/end/", views.status_end, name="status-end"),
    path(
        "children/<id:child_id>/parents/<str:role>/return/",
        views.parent_return,
        name="parent-return",
    ),
    path("duplicates/<id:flag_id>/resolve/", views.duplicate_resolve, name="duplicate-resolve"),
    path("transfers/", views.transfer_requests, name="transfer-list"),
    path(
        "transfers/<id:transfer_id>/<str:decision>/",
        views.transfer_decide,
        name="transfer-decide",
    ),
]
