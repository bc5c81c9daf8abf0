"""The home page: one per role."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from care365.accounts.access import decides_transfers, home_kind
from care365.accounts.http import account
from care365.accounts.selectors import (
    ChildFilters,
    carer_of_user,
    child_list,
    transfer_requests_for_county,
)
from care365.accounts.visibility import child_row
from care365.care.views import home_care
from care365.core.notices import notices_mark_read, notices_unread
from care365.web import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = account(request)
    notices = list(notices_unread(user))
    kind = home_kind(user)
    if kind == "area":
        return render(
            request,
            "web/home_area.html",
            {
                "overview": selectors.overview(user),
                "area": user.area,
                "notices": notices,
                "care": home_care(user),
                "transfers_open": (
                    transfer_requests_for_county(user).count() if decides_transfers(user) else None
                ),
            },
        )
    if kind == "village":
        children = child_list(user, ChildFilters())[: settings.PAGE_SIZE]
        flags = list(selectors.open_duplicates(user))
        return render(
            request,
            "web/home_director.html",
            {
                "area": user.area,
                "notices": notices,
                "by_status": selectors.status_counts(user),
                "care": home_care(user),
                "rows": [child_row(c, user) for c in children],
                "duplicates": [
                    {
                        "id": f.pk,
                        "child": child_row(f.child, user),
                        "other": child_row(f.other, user),
                    }
                    for f in flags
                ],
            },
        )
    if kind == "carer":
        carer = carer_of_user(user)
        children = child_list(user, ChildFilters())[: settings.PAGE_SIZE]
        return render(
            request,
            "web/home_carer.html",
            {
                "carer": carer,
                "rows": [child_row(c, user) for c in children],
                "notices": notices,
                "care": home_care(user),
            },
        )
    return render(request, "web/home_none.html", {"notices": notices})


@login_required
@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    notices_mark_read(recipient=account(request))
    return redirect(reverse("web:home"))
