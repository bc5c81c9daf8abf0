"""The statistics API's shapes. A count is an integer, or the string "<5" where small cells are
suppressed (an area above the county, or a user who sees figures only)."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from care365.core.schemas import Id

Cell = int | str


class StatsQuery(Schema):
    area: Id | None = Field(
        None, description="An area in your scope (default: your own area). Outside it: 404."
    )
    period: str | None = Field(
        None,
        description='"YYYY-MM", "YYYY-Qn" or "YYYY" for the flows (default: this month). State '
        "figures are as of the last refresh (seconds ago).",
        max_length=7,
    )


class AreaOut(Schema):
    id: int
    code: str
    name: str
    level: str


class OverviewOut(Schema):
    area: AreaOut
    period: str
    children: Cell = Field(description="Active children: equals the children list's `count`.")
    by_status: dict[str, Cell]
    paired: dict[str, Cell] = Field(description="Active children with an open pairing, per role.")
    coverage: dict[str, Cell] = Field(description="Children with all three carers, some, none.")
    carers: dict[str, Cell] = Field(description="Active carers of organisations in the area.")
    directors: Cell
    supervisors: Cell
    overdue: Cell = Field(description="Planned items overdue today, as the due lists show them.")
    share_365: float | None = Field(description="The 365 figure: covered over planned child-days.")
    risk: Cell
    alerts_open: Cell


class ChildrenOut(Schema):
    area: AreaOut
    period: str
    total: Cell
    by_status: dict[str, Cell]
    by_age: dict[str, Cell]
    by_sex: dict[str, Cell]
    by_guardian: dict[str, Cell]
    by_schooling: dict[str, Cell]
    boarding: Cell
    entries: Cell
    exits: Cell
    exits_by_reason: dict[str, Cell]
    entries_year_before: Cell
    exits_year_before: Cell
    entries_change: float | None
    exits_change: float | None


class PairingOut(Schema):
    area: AreaOut
    children: Cell
    coverage: dict[str, Cell]
    all_share: float | None
    paired: dict[str, Cell]
    gaps: dict[str, Cell]


class KindOut(Schema):
    kind: str
    planned: Cell
    due: Cell
    overdue: Cell
    share_365: float | None


class CareOut(Schema):
    area: AreaOut
    period: str
    kinds: list[KindOut]
    overdue: Cell
    due: Cell
    contacts: dict[str, Cell]
    share_365: float | None
    children_365: Cell
    full_365: Cell
    examinations: Cell
    examined_last_year: Cell
    growth: dict[str, Cell]
    exam_classes: dict[str, Cell]
    screenings: Cell
    above_cutoff: Cell
    referrals: Cell
    referrals_open: Cell
    risk: Cell
    wishes_posted: Cell
    wishes_fulfilled: Cell
    wishes_open: Cell


class AlertsOut(Schema):
    area: AreaOut
    period: str
    raised: Cell
    by_kind: dict[str, Cell]
    acknowledged: Cell
    reached: Cell
    open: Cell
    acknowledge_median_s: float | None
    acknowledge_p90_s: float | None
    reach_median_s: float | None
    reach_p90_s: float | None
