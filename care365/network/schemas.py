"""The API's shapes of mandatory reports (docs/network.md). The reporter is a field of its own,
null for everyone but the county's administrators."""

from __future__ import annotations

from datetime import date, datetime

from ninja import P, PathEx, Schema
from pydantic import Field

from care365.core.schemas import MAX_ID, AreaRef, Body, Day, Id, Page, Patch, Text

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


ReferralId = PathEx[int, P(ge=1, le=MAX_ID, description="The referral's id.")]


class ReferralOrganisationOut(Schema):
    id: int
    name: str
    kind: str


class ReferralOut(Schema):
    id: int
    child: int
    organisation: ReferralOrganisationOut
    service: str
    reason: str
    state: str
    overdue: bool
    referred_by: int
    created_at: datetime
    due_on: date
    answered_at: datetime | None
    decline_reason: str
    done_at: datetime | None
    what_done: str
    outcome: str


class ReferralListOut(Schema):
    items: list[ReferralOut]
    count: int


class ReferralFilter(Page):
    overdue: bool = Field(
        False, description="Only referrals past their due date and not done (registry staff)."
    )


class ReferralIn(Body):
    child: Id = Field(description="A child you may refer.")
    organisation: Id = Field(description="An organisation of the child's county.")
    service: Text = Field(max_length=20, description="One of the services it offers.")
    reason: Text = Field(max_length=1000, description="Why the child is referred.")


class ReferralDeclineIn(Body):
    reason: Text = Field(max_length=1000, description="Why the organisation declines.")


class ReferralDoneIn(Body):
    what_done: Text = Field(max_length=1000)
    outcome: Text = Field(max_length=1000)


# Case conferences (联席会议; docs/network.md): what a viewer does not see is null ("team": no
# reason nor discussion; "own": an action's owner sees the date and their own actions only).
ConferenceId = PathEx[int, P(ge=1, le=MAX_ID, description="The case conference's id.")]
ActionId = PathEx[int, P(ge=1, le=MAX_ID, description="The conference action's id.")]
AttendeeId = PathEx[int, P(ge=1, le=MAX_ID, description="The attendee's id.")]


class ConferenceAttendeeOut(Schema):
    id: int
    user: int | None
    name: str  # the user's display name, or the named person's
    organisation: str | None
    role: str


class ConferenceActionOut(Schema):
    id: int
    conference: int
    what: str
    owner: int
    organisation: int | None
    due_on: date
    state: str
    overdue: bool
    done_at: datetime | None
    note: str


class ConferenceOut(Schema):
    id: int
    child: int
    held_on: date
    state: str
    sight: str = Field(description="full, team or own: how much of the conference you see.")
    format: str | None
    place: str | None
    on_risk_list: bool | None
    reason: str | None
    summary: str | None
    decisions: str | None
    convened_by: int | None
    created_at: datetime
    attendees: list[ConferenceAttendeeOut] | None
    actions: list[ConferenceActionOut]


class ConferenceListOut(Schema):
    items: list[ConferenceOut]
    count: int


class ConferenceActionListOut(Schema):
    items: list[ConferenceActionOut]
    count: int


class ConferenceActionFilter(Page):
    overdue: bool = Field(
        False,
        description="Open actions past due of your area's conferences (conveners), instead of "
        "your own.",
    )


class ConferenceIn(Body):
    child: Id = Field(description="A child of your area.")
    held_on: Day
    place: Text = Field("", max_length=200)
    format: Text = Field("in_person", max_length=10, description="in_person, phone or video.")
    reason: Text = Field(
        "",
        max_length=1000,
        description="Why convened: required if the child is not on the risk list.",
    )


class ConferenceActionIn(Body):
    what: Text = Field(max_length=1000)
    owner: Id = Field(description="A staff user of the child's county.")
    due_on: Day
    organisation: Id | None = Field(None, description="An organisation of the child's county.")


class ConferenceActionUpdateIn(Patch):
    """A change to an open action: only the fields sent change."""

    what: Text | None = Field(None, max_length=1000)
    owner: Id | None = Field(None, description="A staff user of the child's county.")
    due_on: Day | None = Field(
        None, description="Today or later (an overdue action may keep its date)."
    )
    organisation: int | None = Field(
        None, ge=0, le=MAX_ID, description="An organisation of the child's county; 0 for none."
    )


class ConferenceUpdateIn(Patch):
    """A change to a conference not yet closed: only the fields sent change."""

    held_on: Day | None = None
    place: Text | None = Field(None, max_length=200)
    format: Text | None = Field(None, max_length=10, description="in_person, phone or video.")
    summary: Text | None = Field(None, max_length=4000, description="What was discussed.")
    decisions: Text | None = Field(None, max_length=4000, description="What was decided.")


class ConferenceActionDoneIn(Body):
    note: Text = Field(max_length=1000, description="What was done.")


class ConferenceHoldIn(Body):
    summary: Text = Field("", max_length=4000, description="What was discussed.")
    decisions: Text = Field(max_length=4000, description="What was decided.")


class ConferenceAttendeeIn(Body):
    user: Id | None = Field(None, description="A user of the child's county.")
    name: Text = Field("", max_length=50, description="Or a person's name.")
    organisation: Id | None = Field(None, description="An organisation of the child's county.")
    role: Text = Field("", max_length=100, description="Their role at the conference.")
