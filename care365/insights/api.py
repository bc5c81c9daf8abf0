"""The statistics API: an area's figures, read from the roll-ups (docs/insights.md).

`GET /stats/overview`, `/stats/children`, `/stats/pairing`, `/stats/care`, `/stats/alerts`, each
with `area` (default: your own) and `period`. An area outside your scope answers 404, as one that
does not exist; a user without an area (carers) 403; a bad period 422."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from care365.accounts.api import account
from care365.core.api import responses
from care365.insights import selectors
from care365.insights.access import area_get_for_user, sees_figures
from care365.insights.schemas import (
    AlertsOut,
    CareOut,
    ChildrenOut,
    OverviewOut,
    PairingOut,
    StatsQuery,
)

router = Router(tags=["statistics"])


def _scope(request: HttpRequest, query: StatsQuery) -> tuple[Any, Any, selectors.Period]:
    user = account(request)
    if not sees_figures(user):
        raise PermissionDenied
    area = area_get_for_user(user, query.area)
    try:
        period = selectors.period_parse(query.period)
    except ValueError:
        raise ValidationError(
            {"period": [_('Give a month "YYYY-MM", a quarter "YYYY-Qn" or a year "YYYY".')]}
        ) from None
    return user, area, period


def _out(figures: Any) -> dict[str, Any]:
    data = {k: v for k, v in asdict(figures).items() if k not in ("small", "extra")}
    area = figures.area
    data["area"] = {"id": area.pk, "code": area.code, "name": area.name, "level": area.level}
    if "period" in data:
        data["period"] = figures.period.label
    return data


@router.get(
    "/overview",
    response=responses(200, OverviewOut),
    operation_id="stats_overview",
    summary="An area's headline figures",
)
def stats_overview(request: HttpRequest, query: Query[StatsQuery]) -> dict[str, Any]:
    """Children (equal to the children list's `count` for the same area), their statuses,
    pairing, carers, directors and supervisors, what is overdue, the 365 figure, the risk list
    and open alerts."""
    user, area, period = _scope(request, query)
    return _out(selectors.overview(user, area, period))


@router.get(
    "/children",
    response=responses(200, ChildrenOut),
    operation_id="stats_children",
    summary="Children by status, age, sex, carer and schooling; entries and exits",
)
def stats_children(request: HttpRequest, query: Query[StatsQuery]) -> dict[str, Any]:
    """Active children by status, age band, sex, entrusted carer and schooling; entries and
    exits (by reason) in the period and in the same period of the year before."""
    user, area, period = _scope(request, query)
    return _out(selectors.children(user, area, period))


@router.get(
    "/pairing",
    response=responses(200, PairingOut),
    operation_id="stats_pairing",
    summary="Pairing coverage and gaps by role",
)
def stats_pairing(request: HttpRequest, query: Query[StatsQuery]) -> dict[str, Any]:
    """Active children with all three carers, some, none; paired and unpaired per role."""
    user, area, _period = _scope(request, query)
    return _out(selectors.pairing(user, area))


@router.get(
    "/care",
    response=responses(200, CareOut),
    operation_id="stats_care",
    summary="Contacts done and due, the 365 figure, examinations, screenings, wishes",
)
def stats_care(request: HttpRequest, query: Query[StatsQuery]) -> dict[str, Any]:
    """Planned, due and overdue items per kind (as the due lists count them), contacts made in
    the period, the 365 figure (examinations included), examinations and growth classes,
    screenings above the cut-off and referrals, the risk list, wishes posted and fulfilled."""
    user, area, period = _scope(request, query)
    return _out(selectors.care(user, area, period))


@router.get(
    "/alerts",
    response=responses(200, AlertsOut),
    operation_id="stats_alerts",
    summary="Alerts raised, acknowledged and reached, with their times",
)
def stats_alerts(request: HttpRequest, query: Query[StatsQuery]) -> dict[str, Any]:
    """Alerts raised in the period by kind, acknowledged, reached, still open; the median and
    90th percentile of the seconds to acknowledgement and to someone being with the child."""
    user, area, period = _scope(request, query)
    return _out(selectors.alerts(user, area, period))
