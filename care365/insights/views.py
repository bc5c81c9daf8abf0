"""The dashboards: one page per area (province, prefecture, county, township, village), each
figure linking to the list behind it (for those who may see the children), the areas one level
down to drill into, charts and a map of those areas drawn on the server."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from care365.accounts.http import account
from care365.care.models import ContactKind, PlanKind
from care365.carers.models import CarerRole
from care365.insights import charts, selectors
from care365.insights.access import area_get_for_user, sees_figures, sees_lists_behind
from care365.protection.models import Kind as AlertKind
from care365.registry.models import ExitReason, GuardianRelationship, Sex, StatusKind

SCHOOLING_LABELS = {
    "none": gettext_lazy("not in school"),
    "kindergarten": gettext_lazy("kindergarten"),
    "primary": gettext_lazy("primary school"),
    "junior": gettext_lazy("junior middle school"),
    "senior": gettext_lazy("senior middle school"),
    "vocational": gettext_lazy("vocational school"),
    "dropped_out": gettext_lazy("dropped out"),
}
COVERAGE_LABELS = {
    "all": gettext_lazy("all three carers"),
    "some": gettext_lazy("some carers"),
    "none": gettext_lazy("no carer"),
}
AGE_BANDS = {"0-5": "0-5", "6-13": "6-13", "14-16": "14-16", "17+": "17+"}
AGE_RANGE = {"0-5": (0, 5), "6-13": (6, 13), "14-16": (14, 16), "17+": (17, 30)}


def _label(choices: Any, key: str) -> str:
    try:
        return str(choices(key).label)
    except ValueError:
        return key


def _children_link(area_id: int, **params: Any) -> str:
    query = {"area": area_id, **{k: v for k, v in params.items() if v is not None}}
    return f"{reverse('registry:child-list')}?{urlencode(query)}"


@login_required
def dashboard(request: HttpRequest, area_id: int | None = None) -> HttpResponse:
    """An area's figures for the period asked (`?period=YYYY-MM|YYYY-Qn|YYYY`, default this
    month); another area of the user's subtree by its id (404 outside it)."""
    user = account(request)
    if not sees_figures(user):
        raise PermissionDenied
    area = area_get_for_user(user, area_id)
    error = ""
    try:
        period = selectors.period_parse(request.GET.get("period") or None)
    except ValueError:
        period = selectors.period_parse(None)
        error = _('Give a month "YYYY-MM", a quarter "YYYY-Qn" or a year "YYYY".')
    board = selectors.dashboard(user, area, period)
    links = sees_lists_behind(user)

    def to(url: str) -> str:
        return url if links else ""

    kids = board.children
    status_chart = charts.bar_chart(
        _("Children by status"),
        [
            (_label(StatusKind, k), v, to(_children_link(area.pk, status=k)))
            for k, v in kids.by_status.items()
        ],
    )
    age_chart = charts.bar_chart(
        _("Children by age"),
        [
            (
                AGE_BANDS[k],
                v,
                to(_children_link(area.pk, age_min=AGE_RANGE[k][0], age_max=AGE_RANGE[k][1])),
            )
            for k, v in kids.by_age.items()
        ],
    )
    sex_chart = charts.bar_chart(
        _("Children by sex"),
        [(_label(Sex, k), v, to(_children_link(area.pk, sex=k))) for k, v in kids.by_sex.items()],
    )
    guardian_chart = charts.bar_chart(
        _("Children by entrusted carer"),
        [
            (_label(GuardianRelationship, k) if k != "none" else _("none recorded"), v, "")
            for k, v in kids.by_guardian.items()
        ],
    )
    school_chart = charts.bar_chart(
        _("Children by schooling"),
        [(str(SCHOOLING_LABELS.get(k, k)), v, "") for k, v in kids.by_schooling.items()],
    )
    coverage_chart = charts.bar_chart(
        _("Pairing coverage"),
        [(str(COVERAGE_LABELS[k]), v, "") for k, v in board.pairing.coverage.items()],
    )
    gaps_chart = charts.bar_chart(
        _("Children without a carer, by role"),
        [(_label(CarerRole, k), v, "") for k, v in board.pairing.gaps.items()],
    )
    overdue_chart = charts.bar_chart(
        _("Overdue today, by kind"),
        [
            (_label(PlanKind, line.kind), line.overdue, to(reverse("care:care-due")))
            for line in board.care.kinds
        ],
    )
    contacts_chart = charts.bar_chart(
        _("Contacts made in the period"),
        [(_label(ContactKind, k), v, "") for k, v in board.care.contacts.items()],
    )
    alerts_chart = charts.bar_chart(
        _("Alerts raised in the period"),
        [
            (_label(AlertKind, k), v, to(reverse("protection:alert-board")))
            for k, v in board.alerts.by_kind.items()
        ],
    )
    exits_chart = charts.bar_chart(
        _("Exits in the period, by reason"),
        [(_label(ExitReason, k), v, "") for k, v in kids.exits_by_reason.items()],
    )
    trends = [
        charts.column_chart(_("Entries, last 12 months"), board.entries_trend),
        charts.column_chart(_("Exits, last 12 months"), board.exits_trend),
        charts.column_chart(_("Contacts, last 12 months"), board.contacts_trend),
        charts.column_chart(_("Alerts, last 12 months"), board.alerts_trend),
    ]
    part_map = charts.point_map(
        [
            (
                line.area.name,
                line.area.latitude,
                line.area.longitude,
                line.all_share,
                reverse("insights:area-dashboard", args=[line.area.pk]),
            )
            for line in board.parts
        ]
    )
    o = board.overview
    headlines: list[tuple[str, Any, str]] = [
        (_("children in the registry"), o.children, to(_children_link(area.pk))),
        (_("items overdue today"), o.overdue, to(reverse("care:care-due"))),
        (_("children on the risk list"), o.risk, to(reverse("care:care-risk"))),
        (_("open alerts"), o.alerts_open, to(reverse("protection:alert-board"))),
        (_("village children's directors"), o.directors, ""),
        (_("township supervisors"), o.supervisors, ""),
    ]
    headlines += [
        (str(CarerRole(role).label), n, to(f"{reverse('carers:carer-list')}?role={role}"))
        for role, n in o.carers.items()
    ]
    return render(
        request,
        "insights/dashboard.html",
        {
            "board": board,
            "area": area,
            "links": links,
            "period_error": error,
            "children_url": to(_children_link(area.pk)),
            "due_url": to(reverse("care:care-due")),
            "risk_url": to(reverse("care:care-risk")),
            "alerts_url": to(reverse("protection:alert-board")),
            "bar_charts": [
                status_chart,
                age_chart,
                sex_chart,
                guardian_chart,
                school_chart,
                coverage_chart,
                gaps_chart,
                overdue_chart,
                contacts_chart,
                alerts_chart,
                exits_chart,
            ],
            "trends": trends,
            "map": part_map,
            "headlines": headlines,
            "kind_lines": [(_label(PlanKind, line.kind), line) for line in board.care.kinds],
        },
    )
