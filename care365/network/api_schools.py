"""Schools and attendance in the API (控辍保学; docs/network.md).

A teacher reads their school's roll and a child of it through `access.school_child_get_for_user`
(404 for any other child, logged for each one read), and gets identity and attendance only: the
shapes below have no field for a child's status, family, address, health or alerts. The registry's
keepers read the children of their area, enrol them and follow drop-outs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja import P, PathEx, Query, Router, Schema, Status
from pydantic import Field

from care365.accounts.access import child_get_for_user
from care365.accounts.api import account
from care365.accounts.models import AccessPurpose, User
from care365.core.api import CONFLICT, responses, route
from care365.core.schemas import MAX_ID, Body, Day, Id, Page, Text
from care365.network import access, selectors_schools
from care365.network.models import Absence, DropOut, Enrolment
from care365.network.services import schools as services
from care365.registry.models import Child

router = Router(tags=["schools"])

SchoolId = PathEx[int, P(ge=1, le=MAX_ID, description="The school's id.")]
ChildId = PathEx[int, P(ge=1, le=MAX_ID, description="The child's id.")]
EnrolmentId = PathEx[int, P(ge=1, le=MAX_ID, description="The enrolment's id.")]
DropOutId = PathEx[int, P(ge=1, le=MAX_ID, description="The drop-out's id.")]


class SchoolOut(Schema):
    id: int
    name: str
    enrolled: int  # the open enrolments you see


class SchoolListOut(Schema):
    items: list[SchoolOut]
    count: int


class RollRowOut(Schema):
    """A child of the roll: identity and attendance only."""

    child: int
    name: str
    sex: str
    birth_date: date
    age: int
    grade: str
    class_name: str
    since: date
    absences: int = Field(description="Absences in the last 30 days.")
    unexplained: int = Field(description="Unexplained absences in the last 30 days.")
    absent_today: str = Field(description="Today's absence reason, empty if not absent.")


class RollOut(Schema):
    school: SchoolOut
    items: list[RollRowOut]
    count: int


class EnrolmentOut(Schema):
    id: int
    child: int
    school: int
    school_name: str
    grade: str
    class_name: str
    since: date
    until: date | None
    end_reason: str


class AbsenceOut(Schema):
    day: date
    reason: str
    note: str
    school: int


class AttendanceOut(Schema):
    """A child's identity and attendance: nothing else of the child's record."""

    child: int
    name: str
    sex: str
    birth_date: date
    age: int
    enrolment: EnrolmentOut | None
    absences: list[AbsenceOut]


class AbsencesIn(Body):
    days: list[Day] = Field(min_length=1, max_length=31, description="The days absent.")
    reason: Text = Field(max_length=12, description="illness, family, unexplained or other.")
    note: Text = Field("", max_length=500)


class EnrolmentIn(Body):
    child: Id = Field(description="A child of your area.")
    school: Id = Field(description="A school of the child's county.")
    grade: Text = Field(max_length=8, description="The grade's code (p1 ... s3, voc, k).")
    class_name: Text = Field("", max_length=20)
    since: Day | None = Field(None, description="Today if not given.")


class EnrolmentEndIn(Body):
    until: Day
    reason: Text = Field(max_length=12, description="moved, graduated or other.")


class DropOutIn(Body):
    child: Id = Field(description="A child of your school's roll (teachers) or your area.")
    left_on: Day
    note: Text = Field("", max_length=500)


class DropOutCloseIn(Body):
    outcome: Text = Field(max_length=1000)


class DropOutOut(Schema):
    id: int
    child: int
    school: int
    left_on: date
    state: str
    referral: int | None  # the referral to the county's education bureau
    referral_state: str | None
    created_at: datetime
    closed_at: datetime | None
    outcome: str


class DropOutListOut(Schema):
    items: list[DropOutOut]
    count: int


def _reader(request: HttpRequest) -> User:
    user = account(request)
    if not access.reads_schools(user):
        raise PermissionDenied
    return user


def _enrolment(e: Enrolment) -> dict[str, Any]:
    return {
        "id": e.pk,
        "child": e.child_id,
        "school": e.school_id,
        "school_name": e.school.name,
        "grade": e.grade,
        "class_name": e.class_name,
        "since": e.since,
        "until": e.until,
        "end_reason": e.end_reason,
    }


def _absence(a: Absence) -> dict[str, Any]:
    return {"day": a.day, "reason": a.reason, "note": a.note, "school": a.school_id}


def _drop_out(d: DropOut) -> dict[str, Any]:
    return {
        "id": d.pk,
        "child": d.child_id,
        "school": d.school_id,
        "left_on": d.left_on,
        "state": d.state,
        "referral": d.referral_id,
        "referral_state": d.referral.state if d.referral is not None else None,
        "created_at": d.created_at,
        "closed_at": d.closed_at,
        "outcome": d.outcome,
    }


def _attendance(user: User, child: Child) -> dict[str, Any]:
    today = timezone.localdate()
    seen = selectors_schools.attendance_of_child(user, child, today)
    return {
        "child": child.pk,
        "name": child.name,
        "sex": child.sex,
        "birth_date": child.birth_date,
        "age": child.age_on(today),
        "enrolment": _enrolment(seen.enrolment) if seen.enrolment is not None else None,
        "absences": [_absence(a) for a in seen.absences],
    }


@router.get(
    "/schools",
    response=responses(200, SchoolListOut),
    operation_id="school_list",
    summary="Schools whose roll you read",
)
def school_list(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    """A teacher: their school; the registry's keepers: the schools of their county, each with
    how many of their children it holds. Others are refused (403)."""
    user = _reader(request)
    schools = selectors_schools.schools_with_counts(access.schools_for_user(user), user)
    items = schools[page.offset : page.offset + page.limit]
    return {
        "items": [{"id": s.pk, "name": s.name, "enrolled": s.enrolled} for s in items],  # type: ignore[attr-defined]
        "count": len(schools),
    }


@router.get(
    "/schools/{school_id}/roll",
    response=responses(200, RollOut),
    operation_id="school_roll_get",
    summary="A school's roll today: identity and attendance",
)
def school_roll_get(request: HttpRequest, school_id: SchoolId, page: Query[Page]) -> dict[str, Any]:
    """The children with an open enrolment at the school that you see (a teacher: the whole
    roll; the registry's keepers: the children of their area), by class and name. A school
    that is not yours: 404."""
    user = _reader(request)
    school = access.school_get_for_user(user, school_id)
    rows = selectors_schools.roll_rows(user, school, day=timezone.localdate())
    items = rows[page.offset : page.offset + page.limit]
    return {
        "school": {"id": school.pk, "name": school.name, "enrolled": len(rows)},
        "items": [{**r.__dict__, "child": r.child_id} for r in items],
        "count": len(rows),
    }


@router.get(
    "/schools/children/{child_id}/attendance",
    response=responses(200, AttendanceOut),
    operation_id="school_child_attendance",
    summary="A child's identity and attendance",
)
def school_child_attendance(request: HttpRequest, child_id: ChildId) -> dict[str, Any]:
    """A child of your school's roll (teachers) or your area; 404 otherwise. Logged."""
    user = _reader(request)
    child = access.school_child_get_for_user(user, child_id, route=route("school_child_attendance"))
    return _attendance(user, child)


@router.post(
    "/schools/children/{child_id}/absences",
    response=responses(201, AttendanceOut),
    operation_id="school_absences_record",
    summary="Record a child's absences",
)
def school_absences_record(
    request: HttpRequest, child_id: ChildId, payload: AbsencesIn
) -> Status[dict[str, Any]]:
    """Days within the child's open enrolment, not in the future (422 otherwise); a day
    already recorded takes the new reason. Crossing the county's threshold of unexplained
    absences opens a follow-up for the village's children's director."""
    user = _reader(request)
    child = access.school_child_get_for_user(user, child_id, route=route("school_absences_record"))
    if not access.records_attendance(user, child):
        raise PermissionDenied
    services.absences_record(
        actor=user, child=child, days=payload.days, reason=payload.reason, note=payload.note
    )
    return Status(201, _attendance(user, child))


@router.post(
    "/enrolments",
    response=responses(201, EnrolmentOut),
    operation_id="enrolment_create",
    summary="Enrol a child at a school",
)
def enrolment_create(request: HttpRequest, payload: EnrolmentIn) -> Status[dict[str, Any]]:
    """The registry's keepers of the child's area (others who see the child: 403). An open
    enrolment elsewhere ends the day before; an open drop-out is closed as back in school."""
    user = account(request)
    child = child_get_for_user(
        user,
        payload.child,
        AccessPurpose.VIEW,
        route=route("enrolment_create"),
        allowed=access.keeps_school_roll,
    )
    enrolment = services.enrolment_create(
        actor=user,
        child=child,
        school_id=payload.school,
        grade=payload.grade,
        class_name=payload.class_name,
        since=payload.since,
    )
    return Status(201, _enrolment(enrolment))


@router.post(
    "/enrolments/{enrolment_id}/end",
    response=responses(200, EnrolmentOut, CONFLICT),
    operation_id="enrolment_end",
    summary="End an enrolment",
)
def enrolment_end(
    request: HttpRequest, enrolment_id: EnrolmentId, payload: EnrolmentEndIn
) -> dict[str, Any]:
    """Moved, finished or other (a drop-out is recorded as one); 409 once ended."""
    user = account(request)
    enrolment = access.enrolment_get_for_user(user, enrolment_id, route=route("enrolment_end"))
    enrolment = services.enrolment_end(
        actor=user, enrolment=enrolment, until=payload.until, reason=payload.reason
    )
    return _enrolment(enrolment)


@router.post(
    "/drop-outs",
    response=responses(201, DropOutOut, CONFLICT),
    operation_id="drop_out_record",
    summary="Record that a child dropped out of school",
)
def drop_out_record(request: HttpRequest, payload: DropOutIn) -> Status[dict[str, Any]]:
    """A teacher of the child's school or the registry's keepers of the child's area: the
    enrolment ends and the child is referred to the county's education bureau. 409 when a
    drop-out of the child is already open."""
    user = _reader(request)
    child = access.school_child_get_for_user(user, payload.child, route=route("drop_out_record"))
    if not access.records_attendance(user, child):
        raise PermissionDenied
    drop_out = services.drop_out_record(
        actor=user, child=child, left_on=payload.left_on, note=payload.note
    )
    return Status(201, _drop_out(drop_out))


@router.get(
    "/drop-outs",
    response=responses(200, DropOutListOut),
    operation_id="drop_out_list",
    summary="Open drop-outs of your area",
)
def drop_out_list(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    """The registry's keepers: the open drop-outs of their area, longest open first. Others
    are refused (403)."""
    user = account(request)
    if not access.reads_drop_outs(user):
        raise PermissionDenied
    rows = selectors_schools.drop_out_list(user)
    items = rows[page.offset : page.offset + page.limit]
    return {"items": [_drop_out(d) for d in items], "count": rows.count()}


@router.get(
    "/drop-outs/{drop_out_id}",
    response=responses(200, DropOutOut),
    operation_id="drop_out_get",
    summary="One drop-out",
)
def drop_out_get(request: HttpRequest, drop_out_id: DropOutId) -> dict[str, Any]:
    """A drop-out of a child of your area; 404 otherwise."""
    user = account(request)
    return _drop_out(access.drop_out_get_for_user(user, drop_out_id, route=route("drop_out_get")))


@router.post(
    "/drop-outs/{drop_out_id}/close",
    response=responses(200, DropOutOut, CONFLICT),
    operation_id="drop_out_close",
    summary="Close a drop-out's follow-up with an outcome",
)
def drop_out_close(
    request: HttpRequest, drop_out_id: DropOutId, payload: DropOutCloseIn
) -> dict[str, Any]:
    """The registry's keepers of the child's area; the referral is done with the same outcome.
    A child back in school is enrolled instead (POST /enrolments). 409 once closed."""
    user = account(request)
    drop_out = access.drop_out_get_for_user(user, drop_out_id, route=route("drop_out_close"))
    if not access.keeps_school_roll(user, drop_out.child):
        raise PermissionDenied
    drop_out = services.drop_out_close(actor=user, drop_out=drop_out, outcome=payload.outcome)
    return _drop_out(drop_out)
