"""The API's shapes of mandatory reports (docs/network.md). The reporter is a field of its own,
null for everyone but the county's administrators."""

from __future__ import annotations

from datetime import date, datetime

from ninja import P, PathEx, Schema

from care365.core.schemas import MAX_ID, AreaRef

ReportId = PathEx[int, P(ge=1, le=MAX_ID, description="The report's id.")]


class ReporterOut(Schema):
    name: str
    phone: str
    role: str


class ChildDescribedOut(Schema):
    """The child as the reporter described them."""

    name: str
    age: int | None
    where: str


class RegistrationTaskOut(Schema):
    id: int
    kind: str
    state: str
    due_on: date


class MandatoryReportOut(Schema):
    id: int
    created_at: datetime
    village: AreaRef
    township: str
    situation: str
    what_seen: str
    child_described: ChildDescribedOut
    registered: bool
    child: int | None  # the registered child, for those who may see it
    alert: int
    state: str  # the alert's state
    status: str  # as the reporter sees it: received, acknowledged, on_the_way, closed
    registration_task: RegistrationTaskOut | None
    reporter: ReporterOut | None  # county administrators only


class MandatoryReportListOut(Schema):
    items: list[MandatoryReportOut]
    count: int
