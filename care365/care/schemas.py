"""Input and output schemas of daily care's API: contacts, the due list, examinations,
screenings, the risk list, small wishes, health education and the volunteers' study help.

Inputs use daily care's own choices (kinds, activities, channels) so the OpenAPI schema lists the
allowed values; the services still check everything that depends on the data (who may log what
for which child, a time not in the future, answers that fit the instrument). Outputs carry ids,
never a child's name: an integrator reads the child through `GET /children/{id}`, which the
access layer logs and renders for the caller's role.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from care365.care import screening
from care365.care.models import (
    GIFT_REASON_MAX,
    GIFT_VALUE_MAX,
    GIFT_WHAT_MAX,
    OTHER_ATTENDEES_MAX,
    Activity,
    ContactChannel,
    ContactKind,
    Gift,
    HealthTopic,
    LearningGoal,
    PlanKind,
    Position,
    Subject,
    WhichParent,
)
from care365.care.models.learning import GOAL_MAX
from care365.care.models.learning import NOTE_MAX as LEARNING_NOTE_MAX
from care365.care.models.learning import WHAT_MAX as INTEREST_WHAT_MAX
from care365.care.services.contacts import DURATION_MAX, FOLLOW_UP_MAX, WHAT_MAX
from care365.care.services.education import MATERIALS_MAX, NOTES_MAX, PLACE_MAX, TITLE_MAX
from care365.care.services.wishes import COST_MAX, NOTE_MAX
from care365.core.schemas import (
    LAX,
    MAX_ID,
    AreaRef,
    Body,
    Day,
    Id,
    InSchema,
    Page,
    Text,
    UserBrief,
)
from care365.registry.models import Interest
from care365.registry.schemas import ChildRowOut

_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})"
)


def _iso_moment(value: Any) -> Any:
    """A moment as JSON spells it, with its offset: "2026-06-01T09:30:00+08:00"."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _MOMENT.fullmatch(value):
        raise PydanticCustomError(
            "datetime_format", "Give the time as YYYY-MM-DDTHH:MM:SS with its offset."
        )
    return value


Moment = Annotated[datetime, LAX, BeforeValidator(_iso_moment)]
Minutes = Annotated[int, Field(ge=1, le=DURATION_MAX)]
Decimal1 = Annotated[float, Field(allow_inf_nan=False)]


# ---- contacts --------------------------------------------------------------------------------


class ContactIn(Body):
    kind: Annotated[ContactKind, LAX] = Field(
        description="A volunteer logs volunteer_visit, an officer safety_check, a doctor "
        "consultation, a director or supervisor home_visit; parent_contact (亲情视频) any of them."
    )
    duration_minutes: Minutes = Field(description="How long it took, 1-720 minutes.")
    occurred_at: Moment | None = Field(
        None, description="When, with its offset; now if left out. Up to 90 days back."
    )
    what: Text = Field("", max_length=WHAT_MAX, description="What was done.")
    mood: int | None = Field(
        None, ge=1, le=5, description="The child's mood, 1 very sad ... 5 very happy."
    )
    activities: list[Annotated[Activity, LAX]] = Field(
        default_factory=list,
        max_length=len(Activity),
        description="For a volunteer's visit, at least one; for other kinds, none.",
    )
    channel: Annotated[ContactChannel, LAX] | None = Field(
        None, description="For the parents' contact (required there): phone, video or in_person."
    )
    parent: Annotated[WhichParent, LAX] | None = Field(
        None, description="For the parents' contact: father, mother or both."
    )
    follow_up_needed: bool = False
    follow_up_note: Text = Field(
        "", max_length=FOLLOW_UP_MAX, description="What needs following up (required with it)."
    )


class ContactOut(Schema):
    id: int
    child: int
    kind: str
    occurred_at: datetime
    occurred_on: date = Field(description="The day in the county's time zone.")
    duration_minutes: int
    what: str
    mood: int | None
    activities: list[str]
    channel: str
    parent: str
    follow_up_needed: bool
    follow_up_note: str
    logged_by: UserBrief
    logged_by_role: str


class ContactListOut(Schema):
    items: list[ContactOut]
    count: int = Field(description="How many contacts of the kinds your role may read.")


# ---- the due list ----------------------------------------------------------------------------


class DueQuery(InSchema):
    within_days: int = Field(
        0, ge=0, le=60, description="Also what falls due in this many days (0: due by today)."
    )
    kind: Annotated[PlanKind, LAX] | None = Field(None, description="Only this planned kind.")
    limit: int = Field(100, ge=1, le=500, description="Items to return (most overdue first).")
    offset: int = Field(0, ge=0, le=10_000_000)


class DueOut(Schema):
    child: ChildRowOut
    kind: str = Field(
        description="volunteer_visit, home_visit, safety_check, parent_contact or examination"
    )
    due_on: date
    days_overdue: int = Field(description="Today minus the due date: 0 due today, below 0 not yet.")
    last_on: date | None = Field(description="The last contact or examination of this kind.")
    interval_days: int | None = Field(description="The expected interval; null for examinations.")
    tightened: bool = Field(description="The interval is tightened: the child is on the risk list.")


class DueListOut(Schema):
    items: list[DueOut]
    count: int = Field(description="How many items are due: exact up to 10,000.")
    count_is_exact: bool = Field(
        True, description="False when more than 10,000 are due; `count` is then 10,000."
    )


# ---- examinations ----------------------------------------------------------------------------


class ExaminationIn(Body):
    examined_on: Day
    height_cm: float | None = Field(None, ge=30, le=230, allow_inf_nan=False)
    weight_kg: float | None = Field(None, ge=0.5, le=250, allow_inf_nan=False)
    position: Annotated[Position, LAX] | None = Field(
        None, description="How a child under 5 was measured: length (lying) or height (standing)."
    )
    vision_left: float | None = Field(
        None, ge=3.0, le=5.3, allow_inf_nan=False, description="Five-point notation, 3.0-5.3."
    )
    vision_right: float | None = Field(None, ge=3.0, le=5.3, allow_inf_nan=False)
    decayed_teeth: int | None = Field(None, ge=0, le=32)
    teeth_notes: Text = Field("", max_length=500)
    systolic: int | None = Field(None, ge=50, le=250)
    diastolic: int | None = Field(None, ge=20, le=150)
    notes: Text = Field("", max_length=5000)
    confirm_implausible: bool = Field(
        False,
        description=(
            "A height, weight or position the WHO growth calculator finds implausible for the "
            "child's age and sex (height-for-age |z| > 6, weight-for-age z < -6 or > 5, "
            "BMI-for-age |z| > 5, a standing height under 9 months) is refused with 422 naming "
            "the field (height_cm, weight_kg or position), unless this is true: the doctor "
            "checked the measurement and it is right. It is then saved, with growth_flags."
        ),
    )


class ExaminationOut(Schema):
    id: int
    child: int
    examined_on: date
    age_days: int
    height_cm: float | None
    weight_kg: float | None
    position: str
    vision_left: float | None
    vision_right: float | None
    decayed_teeth: int | None
    teeth_notes: str
    systolic: int | None
    diastolic: int | None
    notes: str
    zhfa: float | None = Field(description="Height-for-age z (WHO), 2 decimals.")
    zwfa: float | None = Field(description="Weight-for-age z; null over 10 years.")
    zbfa: float | None = Field(description="BMI-for-age z.")
    bmi: float | None
    growth_reference: str = Field(description="who2006 (0-5 years) or who2007 (5-19 years)")
    growth_flags: list[str] = Field(description="Implausible values: measure again.")
    growth_classes: list[str] = Field(description="stunting, thinness, overweight, obesity, ...")


class ExaminationListOut(Schema):
    items: list[ExaminationOut]
    count: int


# ---- screenings ------------------------------------------------------------------------------


class ScreeningIn(Body):
    instrument: Annotated[str, Field(pattern="^(" + "|".join(screening.BUILTIN) + ")$")] = Field(
        description="phq9 (12+), gad7 (12+) or ces-dc (6-17)."
    )
    answers: list[Annotated[int, Field(ge=0, le=10)]] = Field(
        min_length=1,
        max_length=100,
        description="The score of each answer as printed on the form, in item order.",
    )
    supplementary: dict[Annotated[str, Field(max_length=40)], int] = Field(
        default_factory=dict,
        max_length=20,
        description="Answers to the form's supplementary questions, by code (not scored).",
    )
    screened_on: Day | None = Field(None, description="Today if left out; up to 90 days back.")


class ScreeningOut(Schema):
    id: int
    child: int
    instrument: str
    instrument_version: str
    screened_on: date
    answers: list[int]
    supplementary: dict[str, int]
    total: int
    subscales: dict[str, int]
    subscale_bands: dict[str, str]
    band: str
    above_cutoff: bool
    flags: list[str] = Field(description='"self_harm" raised a protection alert at once.')
    alert: int | None = Field(description="The id of the self-harm alert raised, if any.")
    entered_by: UserBrief


class ScreeningListOut(Schema):
    items: list[ScreeningOut]
    count: int


# ---- the risk list ---------------------------------------------------------------------------


class RiskQuery(Page):
    include_below: bool = Field(
        False, description="Also children with a score below the county's threshold."
    )


class RiskReasonOut(Schema):
    reason: str = Field(
        description="overdue_contact, self_harm, alone_under_16, ... (docs/care.md)"
    )
    points: int
    params: dict[str, Any] = Field(description="The facts behind it: days, kinds, moods, classes.")


class RiskOut(Schema):
    child: ChildRowOut
    score: int
    on_list: bool
    computed_on: date
    reasons: list[RiskReasonOut] = Field(description="Highest first.")


class RiskListOut(Schema):
    items: list[RiskOut]
    count: int = Field(description="How many children: exact up to 10,000.")
    count_is_exact: bool = Field(
        True, description="False when more than 10,000; `count` is then 10,000."
    )


# ---- wishes ----------------------------------------------------------------------------------


class WishIn(Body):
    what: Text = Field(min_length=1, max_length=200, description="What the child wishes for.")
    cost_yuan: int = Field(ge=1, le=COST_MAX, description="A rough cost in yuan.")
    note: Text = Field("", max_length=NOTE_MAX)


class WishClaimIn(Body):
    donor_name: Text = Field(
        "",
        max_length=100,
        description="A director or supervisor claims for a donor without an account; empty: "
        "you claim it yourself.",
    )


class WishConfirmIn(Body):
    note: Text = Field("", max_length=NOTE_MAX, description="How the child received it.")


class WishOut(Schema):
    """A wish after a step. No child's name or id: the board and its steps identify nobody."""

    id: int
    what: str
    cost_yuan: int
    state: str = Field(description="open, claimed, delivered, confirmed or withdrawn")
    posted_at: datetime
    claimed_at: datetime | None
    delivered_at: datetime | None
    confirmed_at: datetime | None
    claimed_by_you: bool
    donor_name: str


class WishCardOut(Schema):
    id: int
    name: str = Field(description="The child's given name, or its initial.")
    age: int
    township: str
    what: str
    cost_yuan: int
    state: str = Field(description="open or claimed")


class WishBoardOut(Schema):
    items: list[WishCardOut]
    count: int


# ---- gifts ----------------------------------------------------------------------------------

MAX_PLAN_CHILDREN = 5000


class GiftPlanIn(Body):
    what: Text = Field(min_length=1, max_length=GIFT_WHAT_MAX, description="What the gift is.")
    value_yuan: int | None = Field(
        None, ge=1, le=GIFT_VALUE_MAX, description="The value of each gift in yuan, if known."
    )
    donor_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="The donor organisation (of your county), if any."
    )
    child_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list,
        max_length=MAX_PLAN_CHILDREN,
        description="The children to plan a gift for (each must be yours: 404 otherwise).",
    )
    area_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="Or: every child of this township or village of yours (in the event's "
        "area) who has no gift at the event yet.",
    )


class GiftOut(Schema):
    """A gift with its child as your role may see the child (a volunteer: the given name)."""

    id: int
    event: int
    child: ChildRowOut
    what: str
    value_yuan: int | None
    donor: int | None
    donor_name: str
    state: str = Field(description="planned, delivered, confirmed or not_delivered")
    planned_at: datetime
    delivered_at: datetime | None
    confirmed_at: datetime | None
    reason: str
    steps: list[str] = Field(description="The steps you may take: deliver, not-delivered, confirm.")


class GiftQuery(Page):
    state: Annotated[Gift.State, LAX] | None = Field(
        None,
        description="Only the gifts in this state: planned, delivered, confirmed or not_delivered.",
    )


class GiftListOut(Schema):
    items: list[GiftOut]
    count: int


class GiftPlanOut(Schema):
    planned: list[GiftOut]
    already: int = Field(description="Children skipped: they had a gift at this event already.")


class GiftConfirmIn(Body):
    note: Text = Field("", max_length=NOTE_MAX, description="How the child received it.")


class GiftNotDeliveredIn(Body):
    reason: Text = Field(min_length=1, max_length=GIFT_REASON_MAX, description="Why not.")


Cell = str


class DonorTotalOut(Schema):
    gifts: int
    value_yuan: int
    delivered: int
    confirmed: int
    not_delivered: int


class _DonorCells(Schema):
    gifts: Cell = Field(description='A count, or "<5".')
    value_yuan: Cell = Field(description='Yuan, or "<5" where the row has fewer than 5 gifts.')
    delivered: Cell
    confirmed: Cell
    not_delivered: Cell


class DonorEventOut(_DonorCells):
    title: str
    held_on: date | None


class DonorCountyOut(_DonorCells):
    county: str


class DonorTownshipOut(_DonorCells):
    township: str
    county: str


class DonorOrganisationOut(Schema):
    id: int
    name: str


class DonorTotalsOut(Schema):
    """What a donor gave, without any child: exact totals, and by event, county and township
    with every figure below 5 shown as "<5"."""

    organisation: DonorOrganisationOut
    total: DonorTotalOut
    by_event: list[DonorEventOut]
    by_county: list[DonorCountyOut]
    by_township: list[DonorTownshipOut]


class DonorThanksOut(Schema):
    queued: int = Field(description="Messages queued in the outbox (an email to the contact).")


# ---- health education ------------------------------------------------------------------------


class HealthSessionIn(Body):
    topic: Annotated[HealthTopic, LAX] = Field(description="What the session taught.")
    title: Text = Field("", max_length=TITLE_MAX, description="A title of the session's own.")
    held_on: Day = Field(description="The day it was held; not in the future.")
    area: Id = Field(
        description="The township or village it was held for: a doctor's county's, anyone "
        "else's own area's."
    )
    school: Id | None = Field(None, description="A school of your county it was held at.")
    place: Text = Field("", max_length=PLACE_MAX)
    materials: Text = Field("", max_length=MATERIALS_MAX, description="The materials used.")
    children: list[Id] = Field(
        default_factory=list,
        max_length=500,
        description="The children present: a doctor's own paired children, or the children "
        "of a director's, supervisor's or county administrator's area. Any other id is refused "
        "(422, `children`) without saying which.",
    )
    other_attendees: int = Field(
        0, ge=0, le=OTHER_ATTENDEES_MAX, description="How many others came (not named)."
    )
    notes: Text = Field("", max_length=NOTES_MAX)


class NamedRef(Schema):
    id: int
    name: str


class HealthSessionOut(Schema):
    id: int
    topic: str
    title: str
    held_on: date
    place: str
    area: NamedRef
    school: NamedRef | None
    doctor: int | None = Field(description="The doctor's carer id, if a doctor taught it.")
    materials: str
    children: list[int] = Field(
        description="The children present whom you may see (ids); others are not listed."
    )
    other_attendees: int
    present: int = Field(description="The children listed here and the others present.")


class HealthSessionListOut(Schema):
    items: list[HealthSessionOut]
    count: int


class HealthSessionQuery(Page):
    since: Day | None = Field(None, description="Held on or after this day.")
    until: Day | None = Field(None, description="Held on or before this day.")


class SessionFigureQuery(InSchema):
    since: Day | None = Field(
        None, description="From this day; the first of this year if left out."
    )
    until: Day | None = Field(None, description="To this day; today if left out.")


class SessionFigureOut(Schema):
    area: AreaRef
    sessions: int
    attendances: int = Field(description="Children present, once per session they came to.")
    children: int = Field(description="Different children who came.")
    others: int = Field(description="Other people present.")


class SessionFiguresOut(Schema):
    since: date
    until: date
    items: list[SessionFigureOut] = Field(
        description="Per township of a county, or per village of a township."
    )
    total: SessionFigureOut | None


# ---- study help and interests ---------------------------------------------------------------


class LearningGoalIn(Body):
    subject: Annotated[Subject, LAX]
    goal: Text = Field(min_length=1, max_length=GOAL_MAX, description="What the child aims at.")
    started_on: Day | None = Field(None, description="Today if left out; within the last year.")


class LearningNoteIn(Body):
    goal: Id = Field(description="One of the child's goals.")
    note: Text = Field(min_length=1, max_length=LEARNING_NOTE_MAX, description="The progress.")
    noted_on: Day | None = Field(None, description="Today if left out; within the last year.")
    state: Annotated[LearningGoal.State, LAX] | None = Field(
        None, description="The goal's new state: active, achieved or dropped."
    )


class InterestActivityIn(Body):
    interest: Annotated[Interest, LAX]
    what: Text = Field(min_length=1, max_length=INTEREST_WHAT_MAX, description="What was done.")
    done_on: Day | None = Field(None, description="Today if left out; within the last year.")
    note: Text = Field("", max_length=LEARNING_NOTE_MAX)


class LearningNoteOut(Schema):
    id: int
    goal: int
    noted_on: date
    note: str
    written_by: UserBrief


class LearningGoalOut(Schema):
    id: int
    child: int
    subject: str
    goal: str
    started_on: date
    state: str = Field(description="active, achieved or dropped")
    ended_on: date | None
    notes: list[LearningNoteOut] = Field(description="Newest first.")


class InterestActivityOut(Schema):
    id: int
    child: int
    interest: str
    done_on: date
    what: str
    note: str
    written_by: UserBrief


class ChildLearningOut(Schema):
    child: int
    may_write: bool = Field(description="Whether you set goals, write notes and activities.")
    goals: list[LearningGoalOut] = Field(description="Being worked on first, then newest.")
    activities: list[InterestActivityOut] = Field(description="Newest first.")
