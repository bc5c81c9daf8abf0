"""The home page: one per role."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from care365.accounts.access import county_for_admin, decides_transfers, home_kind
from care365.accounts.http import account
from care365.accounts.models import User
from care365.accounts.selectors import (
    ChildFilters,
    carer_of_user,
    child_list,
    transfer_requests_for_county,
)
from care365.accounts.visibility import child_row
from care365.care.views import home_care
from care365.core.notices import notices_mark_read, notices_unread
from care365.insights import selectors as insights
from care365.network.access import school_of_teacher
from care365.protection import selectors as protection_selectors
from care365.protection.access import sees_alert_board
from care365.web import selectors

# Open alerts listed first on every home (the board has them all).
HOME_ALERTS = 10


def _open_alerts(user: User) -> dict[str, Any]:
    """The user's open alerts, newest first, for the top of their home."""
    alerts = list(protection_selectors.alerts_open_for_user(user)[:HOME_ALERTS])
    return {
        "open_alerts": protection_selectors.alert_rows(user, alerts),
        "alert_board": sees_alert_board(user),
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = account(request)
    notices = list(notices_unread(user))
    kind = home_kind(user)
    if kind == "area":
        area = user.area
        figures = insights.care(user, area, insights.period_parse(None)) if area else None
        due = (
            (int(figures.due), int(figures.overdue))
            if figures is not None and not figures.small
            else None
        )
        return render(
            request,
            "web/home_area.html",
            {
                "overview": selectors.overview(user),
                "area": area,
                "notices": notices,
                "care": home_care(user, due=due),
                "figures": figures,
                **_open_alerts(user),
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
                **_open_alerts(user),
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
                **_open_alerts(user),
            },
        )
    if kind == "figures":
        # A province or prefecture official: counts per county, small cells hidden; no child,
        # no alert, no list (the insights pages build on these figures).
        return render(
            request,
            "web/home_figures.html",
            {"area": user.area, "figures": insights.county_figures(user), "notices": notices},
        )
    if kind == "organisation":
        # A teacher or a member of an organisation's staff: no child's record here; their school's
        # roll or their organisation's referrals are the network's pages, linked from this one.
        return render(
            request,
            "web/home_organisation.html",
            {
                "organisation": user.organisation,
                "teaches": school_of_teacher(user) is not None,
                "notices": notices,
            },
        )
    return render(request, "web/home_none.html", {"notices": notices})


@login_required
@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    notices_mark_read(recipient=account(request))
    return redirect(reverse("web:home"))


@login_required
def county(request: HttpRequest) -> HttpResponse:
    """The county administrator's own pages in one place: people (carers, organisations,
    users), places (townships and villages) and the county's settings (visit plan, pairing,
    escalation)."""
    user = account(request)
    area = county_for_admin(user)
    if area is None:
        raise PermissionDenied
    return render(request, "web/county.html", {"county": area})
