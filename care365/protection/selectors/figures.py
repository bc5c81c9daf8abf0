"""Response times of a county's alerts: to acknowledge, to reach the child, to resolve."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from care365.areas.models import Area
from care365.carers.models import Carer
from care365.protection.models import (
    Alert,
)


@dataclass(frozen=True)
class Figures:
    """Response times in seconds over `count` alerts; None where no alert reached that step."""

    count: int
    acknowledge_median: float | None
    acknowledge_p90: float | None
    reach_median: float | None
    reach_p90: float | None
    resolve_median: float | None
    resolve_p90: float | None


@dataclass(frozen=True)
class ResponseTimes:
    overall: Figures
    by_township: list[tuple[Area, Figures]]
    by_officer: list[tuple[Carer, Figures]]


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class _Times:
    acknowledge: list[float] = field(default_factory=list)
    reach: list[float] = field(default_factory=list)
    resolve: list[float] = field(default_factory=list)
    count: int = 0

    def add(self, raised: datetime, ack: Any, reach: Any, resolve: Any) -> None:
        self.count += 1
        for values, at in ((self.acknowledge, ack), (self.reach, reach), (self.resolve, resolve)):
            if at is not None:
                values.append((at - raised).total_seconds())

    def figures(self) -> Figures:
        return Figures(
            count=self.count,
            acknowledge_median=percentile(self.acknowledge, 50),
            acknowledge_p90=percentile(self.acknowledge, 90),
            reach_median=percentile(self.reach, 50),
            reach_p90=percentile(self.reach, 90),
            resolve_median=percentile(self.resolve, 50),
            resolve_p90=percentile(self.resolve, 90),
        )


def response_times(
    county: Area,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    exclude_false_alarms: bool = False,
) -> ResponseTimes:
    """Median and 90th percentile of the time from raising to acknowledgement, to someone being
    with the child, and to resolution; for the county, per township and per assigned officer.
    Three queries whatever the number of alerts."""
    alerts = Alert.objects.filter(county=county)
    if since is not None:
        alerts = alerts.filter(raised_at__gte=since)
    if until is not None:
        alerts = alerts.filter(raised_at__lt=until)
    if exclude_false_alarms:
        alerts = alerts.exclude(resolution="false_alarm")
    overall = _Times()
    townships: dict[int, _Times] = {}
    officers: dict[int, _Times] = {}
    for township_id, officer_id, raised, ack, reach, resolve in alerts.values_list(
        "village__parent_id",
        "assigned_officer_id",
        "raised_at",
        "acknowledged_at",
        "with_child_at",
        "resolved_at",
    ):
        overall.add(raised, ack, reach, resolve)
        if township_id is not None:
            townships.setdefault(township_id, _Times()).add(raised, ack, reach, resolve)
        if officer_id is not None:
            officers.setdefault(officer_id, _Times()).add(raised, ack, reach, resolve)
    township_rows = Area.objects.in_bulk(list(townships))
    officer_rows = Carer.objects.in_bulk(list(officers))
    return ResponseTimes(
        overall=overall.figures(),
        by_township=sorted(
            ((township_rows[k], v.figures()) for k, v in townships.items() if k in township_rows),
            key=lambda row: row[0].code,
        ),
        by_officer=sorted(
            ((officer_rows[k], v.figures()) for k, v in officers.items() if k in officer_rows),
            key=lambda row: (row[0].name, row[0].pk),
        ),
    )
