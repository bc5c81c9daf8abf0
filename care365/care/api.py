"""Daily care: log and list a child's contacts, the due list, examinations, screenings, the risk
list, small wishes from post to confirmation, health education sessions and their figures, and a
child's learning goals, progress notes and interest activities.

Children are reached through the access layer (out of scope answers 404, like missing, and the
read is written to the access log); health and screening data only through daily care's
selectors, and officers and volunteers are refused them outright (403). Every write is one
daily-care service: its ValidationErrors answer 422 by field, and a wish someone else moved
first answers 409.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import P, PathEx, Query, Router, Status
from ninja.errors import HttpError

from care365.accounts.access import child_get_for_user, county_for_admin
from care365.accounts.api import account
from care365.accounts.models import AccessPurpose, User
from care365.accounts.selectors import capped_count
from care365.accounts.visibility import child_row
from care365.care import access, selectors, services
from care365.care.models import (
    Contact,
    Examination,
    Gift,
    InterestActivity,
    LearningGoal,
    LearningNote,
    RiskScore,
    Screening,
    Wish,
)
from care365.care.schemas import (
    ChildLearningOut,
    ContactIn,
    ContactListOut,
    ContactOut,
    DonorThanksOut,
    DonorTotalsOut,
    DueListOut,
    DueQuery,
    ExaminationIn,
    ExaminationListOut,
    ExaminationOut,
    GiftConfirmIn,
    GiftListOut,
    GiftNotDeliveredIn,
    GiftOut,
    GiftPlanIn,
    GiftPlanOut,
    GiftQuery,
    HealthSessionIn,
    HealthSessionListOut,
    HealthSessionOut,
    HealthSessionQuery,
    InterestActivityIn,
    InterestActivityOut,
    LearningGoalIn,
    LearningGoalOut,
    LearningNoteIn,
    LearningNoteOut,
    RiskListOut,
    RiskQuery,
    ScreeningIn,
    ScreeningListOut,
    ScreeningOut,
    SessionFigureQuery,
    SessionFiguresOut,
    WishBoardOut,
    WishClaimIn,
    WishConfirmIn,
    WishIn,
    WishOut,
)
from care365.care.selectors import pages as care_selectors
from care365.care.selectors.learning import SessionFigure, SessionRow
from care365.care.selectors.plans import DueItem
from care365.care.services import CareStateError
from care365.core.api import CONFLICT, responses, route
from care365.core.errors import NotFound
from care365.core.schemas import MAX_ID, ChildId, Page
from care365.registry.models import Child

router = Router(tags=["care"])

WishId = PathEx[int, P(ge=1, le=MAX_ID, description="The wish's id.")]
EventId = PathEx[int, P(ge=1, le=MAX_ID, description="The event's id.")]
GiftId = PathEx[int, P(ge=1, le=MAX_ID, description="The gift's id.")]
OrganisationId = PathEx[int, P(ge=1, le=MAX_ID, description="The organisation's id.")]
T = TypeVar("T")


def _child(
    user: User,
    child_id: int,
    operation_id: str,
    *,
    allowed: Callable[[User, Child], bool] | None = None,
) -> Child:
    """The child through the access layer; an operation the user may not use for this child is
    a refusal (403), written to the access log as one, never as a read."""
    return child_get_for_user(
        user, child_id, AccessPurpose.VIEW, route=route(operation_id), allowed=allowed
    )


def _health(user: User, child: Child) -> bool:
    """Examinations and screenings are for doctors and the registry's keepers only."""
    return access.sees_health(user)


def _examines(user: User, child: Child) -> bool:
    """Examinations are entered by doctors only (the service checks it is the child's)."""
    return access.enters_examinations(user)


def _step(call: Callable[[], T]) -> T:
    """A step on a wish: one that someone else took first answers 409 with the wish's state."""
    try:
        return call()
    except CareStateError as exc:
        raise HttpError(CONFLICT, str(exc)) from exc


# ---- rendering ------------------------------------------------------------------------------


def _user(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username, "role": user.role}


def _contact(c: Contact) -> dict[str, Any]:
    return {
        "id": c.pk,
        "child": c.child_id,
        "kind": c.kind,
        "occurred_at": c.occurred_at,
        "occurred_on": c.occurred_on,
        "duration_minutes": c.duration_minutes,
        "what": c.what,
        "mood": c.mood,
        "activities": list(c.activities or []),
        "channel": c.channel,
        "parent": c.parent,
        "follow_up_needed": c.follow_up_needed,
        "follow_up_note": c.follow_up_note,
        "logged_by": _user(c.logged_by),
        "logged_by_role": c.logged_by_role,
    }


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _examination(e: Examination) -> dict[str, Any]:
    return {
        "id": e.pk,
        "child": e.child_id,
        "examined_on": e.examined_on,
        "age_days": e.age_days,
        "height_cm": _number(e.height_cm),
        "weight_kg": _number(e.weight_kg),
        "position": e.position,
        "vision_left": _number(e.vision_left),
        "vision_right": _number(e.vision_right),
        "decayed_teeth": e.decayed_teeth,
        "teeth_notes": e.teeth_notes,
        "systolic": e.systolic,
        "diastolic": e.diastolic,
        "notes": e.notes,
        "zhfa": e.zhfa,
        "zwfa": e.zwfa,
        "zbfa": e.zbfa,
        "bmi": None if e.bmi is None else round(e.bmi, 2),
        "growth_reference": e.growth_reference,
        "growth_flags": list(e.growth_flags or []),
        "growth_classes": list(e.growth_classes or []),
    }


def _screening(s: Screening) -> dict[str, Any]:
    return {
        "id": s.pk,
        "child": s.child_id,
        "instrument": s.instrument,
        "instrument_version": s.instrument_version,
        "screened_on": s.screened_on,
        "answers": list(s.answers or []),
        "supplementary": dict(s.supplementary or {}),
        "total": s.total,
        "subscales": dict(s.subscales or {}),
        "subscale_bands": dict(s.subscale_bands or {}),
        "band": s.band,
        "above_cutoff": s.above_cutoff,
        "flags": list(s.flags or []),
        "alert": s.alert_id,
        "entered_by": _user(s.entered_by),
    }


def _due(user: User, item: DueItem) -> dict[str, Any]:
    return {
        "child": child_row(item.child, user),
        "kind": item.kind,
        "due_on": item.due_on,
        "days_overdue": item.days_overdue,
        "last_on": item.last_on,
        "interval_days": item.interval_days,
        "tightened": item.tightened,
    }


def _risk(user: User, r: RiskScore) -> dict[str, Any]:
    return {
        "child": child_row(r.child, user),
        "score": r.score,
        "on_list": r.on_list,
        "computed_on": r.computed_on,
        "reasons": list(r.reasons or []),
    }


def _wish(user: User, w: Wish) -> dict[str, Any]:
    return {
        "id": w.pk,
        "what": w.what,
        "cost_yuan": w.cost_yuan,
        "state": w.state,
        "posted_at": w.posted_at,
        "claimed_at": w.claimed_at,
        "delivered_at": w.delivered_at,
        "confirmed_at": w.confirmed_at,
        "claimed_by_you": w.claimed_by_id == user.pk,
        "donor_name": w.donor_name,
    }


# ---- contacts -------------------------------------------------------------------------------


@router.post(
    "/children/{child_id}/contacts",
    response=responses(201, ContactOut),
    operation_id="contact_log",
    summary="Log a contact with a child",
)
def contact_log(request: HttpRequest, child_id: ChildId, payload: ContactIn) -> Status[Any]:
    """A volunteer's visit, an officer's safety check, a doctor's consultation, a director's
    home visit, or the parents' weekly contact: for a child paired with you (carers) or of your
    area (directors, supervisors). A kind your role may not log, a time in the future or a
    volunteer's visit without an activity is refused (422) and nothing is saved."""
    user = account(request)
    child = _child(user, child_id, "contact_log")
    contact = services.contact_log(
        actor=user,
        child=child,
        kind=payload.kind,
        duration_minutes=payload.duration_minutes,
        occurred_at=payload.occurred_at,
        what=payload.what,
        mood=payload.mood,
        activities=list(payload.activities),
        channel=payload.channel or "",
        parent=payload.parent or "",
        follow_up_needed=payload.follow_up_needed,
        follow_up_note=payload.follow_up_note,
    )
    return Status(201, _contact(contact))


@router.get(
    "/children/{child_id}/contacts",
    response=responses(200, ContactListOut),
    operation_id="contact_list",
    summary="A child's contacts",
)
def contact_list(request: HttpRequest, child_id: ChildId, page: Query[Page]) -> dict[str, Any]:
    """Newest first, in the kinds your role may read: a volunteer the volunteers' visits only,
    an officer everything but the doctor's consultations."""
    user = account(request)
    child = _child(user, child_id, "contact_list")
    rows = selectors.contacts_for_child(user, child, limit=page.offset + page.limit)
    return {
        "items": [_contact(c) for c in list(rows)[page.offset :]],
        "count": care_selectors.contacts_count_for_child(user, child),
    }


# ---- the due list ---------------------------------------------------------------------------


@router.get(
    "/care/due",
    response=responses(200, DueListOut),
    operation_id="due_list",
    summary="What is due and overdue for you",
)
def due_list(request: HttpRequest, query: Query[DueQuery]) -> dict[str, Any]:
    """For every child you answer for, each planned contact (or examination) due by today plus
    `within_days`, most overdue first. A volunteer answers for visits, an officer for safety
    checks, a doctor for examinations, a director for home visits and the parents' contact;
    supervisors and county administrators see every kind of their area."""
    user = account(request)
    kinds = None if query.kind is None else {str(query.kind)}
    items = selectors.due_list_for_user(
        user, timezone.localdate(), within_days=query.within_days, kinds=kinds
    )
    page = selectors.due_for_display(user, items[query.offset : query.offset + query.limit])
    # Counted up to the cap, as the page and the children list count: a county's list holds
    # hundreds of thousands of items.
    count, exact = items.capped_count()
    return {
        "items": [_due(user, item) for item in page],
        "count": count,
        "count_is_exact": exact,
    }


# ---- examinations ---------------------------------------------------------------------------


@router.post(
    "/children/{child_id}/examinations",
    response=responses(201, ExaminationOut),
    operation_id="examination_record",
    summary="Enter a health examination",
)
def examination_record(
    request: HttpRequest, child_id: ChildId, payload: ExaminationIn
) -> Status[Any]:
    """The child's doctor enters height, weight, vision, teeth and blood pressure; the WHO
    z-scores, classes and flags are computed and kept with it. Other roles are refused (403).
    Without the guardian's consent to health examinations and screening, 422 (`child`). An
    implausible height, weight or position is refused with 422 naming the field unless
    `confirm_implausible` is true."""
    user = account(request)
    child = _child(user, child_id, "examination_record", allowed=_examines)
    exam = services.examination_record(
        actor=user,
        child=child,
        examined_on=payload.examined_on,
        height_cm=payload.height_cm,
        weight_kg=payload.weight_kg,
        position=payload.position or "",
        vision_left=payload.vision_left,
        vision_right=payload.vision_right,
        decayed_teeth=payload.decayed_teeth,
        teeth_notes=payload.teeth_notes,
        systolic=payload.systolic,
        diastolic=payload.diastolic,
        notes=payload.notes,
        confirm_implausible=payload.confirm_implausible,
    )
    return Status(201, _examination(exam))


@router.get(
    "/children/{child_id}/examinations",
    response=responses(200, ExaminationListOut),
    operation_id="examination_list",
    summary="A child's examinations",
)
def examination_list(request: HttpRequest, child_id: ChildId, page: Query[Page]) -> dict[str, Any]:
    """Newest first, with the z-scores as computed when each was entered. Doctors and registry
    staff only: officers and volunteers are refused (403)."""
    user = account(request)
    child = _child(user, child_id, "examination_list", allowed=_health)
    exams = selectors.examinations_for_child(user, child)
    return {
        "items": [_examination(e) for e in exams[page.offset : page.offset + page.limit]],
        "count": exams.count(),
    }


# ---- health education ------------------------------------------------------------------------


def _session(row: SessionRow) -> dict[str, Any]:
    s = row.session
    return {
        "id": s.pk,
        "topic": s.topic,
        "title": s.title,
        "held_on": s.held_on,
        "place": s.place,
        "area": {"id": s.area_id, "name": s.area.name},
        "school": {"id": s.school.pk, "name": s.school.name} if s.school else None,
        "doctor": s.doctor_id,
        "materials": s.materials,
        "children": [c.pk for c in row.children],
        "other_attendees": s.other_attendees,
        "present": row.present,
    }


def _figure(f: SessionFigure) -> dict[str, Any]:
    return {
        "area": {"id": f.area.pk, "name": f.area.name, "code": f.area.code},
        "sessions": f.sessions,
        "attendances": f.attendances,
        "children": f.children,
        "others": f.others,
    }


@router.get(
    "/care/health-sessions",
    response=responses(200, HealthSessionListOut),
    operation_id="health_session_list",
    summary="Health education sessions",
)
def health_session_list(request: HttpRequest, query: Query[HealthSessionQuery]) -> dict[str, Any]:
    """Newest first: a doctor's own sessions; for directors, supervisors and county
    administrators those held in their area, recorded by them, or attended by a child of their
    area. Each lists only the children present whom you may see. Other roles are refused
    (403)."""
    user = account(request)
    if not access.records_health_sessions(user):
        raise PermissionDenied
    sessions = selectors.health_sessions_list(user, since=query.since, until=query.until)
    page = list(sessions[query.offset : query.offset + query.limit])
    return {
        "items": [_session(r) for r in selectors.session_rows(user, page)],
        "count": sessions.count(),
    }


@router.post(
    "/care/health-sessions",
    response=responses(201, HealthSessionOut),
    operation_id="health_session_record",
    summary="Record a health education session",
)
def health_session_record(request: HttpRequest, payload: HealthSessionIn) -> Status[Any]:
    """A doctor records a session they gave, with the children paired with them who came; a
    director, supervisor or county administrator records one held in their area, with its
    children. Topic from the list, the township or village (and school) it was held for, and a
    count of the others present. A child you may not record is refused (422, `children`)
    without saying which or whether it exists."""
    user = account(request)
    if not access.records_health_sessions(user):
        raise PermissionDenied
    area = access.health_session_areas_for_user(user).filter(pk=payload.area).first()
    school = None
    errors: dict[str, str] = {}
    if area is None:
        errors["area"] = _("Choose a township or village of your area.")
    if payload.school is not None:
        school = selectors.session_schools(user).filter(pk=payload.school).first()
        if school is None:
            errors["school"] = _("Choose a school of your county.")
    if errors:
        raise ValidationError(errors)
    assert area is not None  # noqa: S101  # checked above, for the type checker
    session = services.health_session_record(
        actor=user,
        topic=payload.topic,
        title=payload.title,
        held_on=payload.held_on,
        area=area,
        school=school,
        child_ids=list(payload.children),
        other_attendees=payload.other_attendees,
        materials=payload.materials,
        place=payload.place,
        notes=payload.notes,
    )
    (row,) = selectors.session_rows(user, [session])
    return Status(201, _session(row))


@router.get(
    "/care/health-sessions/figures",
    response=responses(200, SessionFiguresOut),
    operation_id="health_session_figures",
    summary="Health education in figures",
)
def health_session_figures(
    request: HttpRequest, query: Query[SessionFigureQuery]
) -> dict[str, Any]:
    """Sessions and attendance per township of your county (county administrators) or per
    village of your township (supervisors), from `since` (the first of this year) to `until`
    (today). Others are refused (403)."""
    user = account(request)
    if not access.sees_session_figures(user):
        raise PermissionDenied
    today = timezone.localdate()
    since = query.since or today.replace(month=1, day=1)
    until = query.until or today
    if since > until:
        raise ValidationError({"since": _("The first day comes after the last.")})
    rows, total = selectors.health_session_figures(user, since=since, until=until)
    return {
        "since": since,
        "until": until,
        "items": [_figure(f) for f in rows],
        "total": _figure(total) if total else None,
    }


# ---- study help and interests ---------------------------------------------------------------


def _note(n: LearningNote) -> dict[str, Any]:
    return {
        "id": n.pk,
        "goal": n.goal_id,
        "noted_on": n.noted_on,
        "note": n.note,
        "written_by": _user(n.written_by),
    }


def _goal(g: LearningGoal) -> dict[str, Any]:
    return {
        "id": g.pk,
        "child": g.child_id,
        "subject": g.subject,
        "goal": g.goal,
        "started_on": g.started_on,
        "state": g.state,
        "ended_on": g.ended_on,
        "notes": [_note(n) for n in g.notes.all()],
    }


def _activity(a: InterestActivity) -> dict[str, Any]:
    return {
        "id": a.pk,
        "child": a.child_id,
        "interest": a.interest,
        "done_on": a.done_on,
        "what": a.what,
        "note": a.note,
        "written_by": _user(a.written_by),
    }


@router.get(
    "/children/{child_id}/learning",
    response=responses(200, ChildLearningOut),
    operation_id="learning_get",
    summary="A child's study help and interests",
)
def learning_get(request: HttpRequest, child_id: ChildId) -> dict[str, Any]:
    """The child's learning goals with their progress notes, and interest activities. For the
    child's team: the paired volunteer, officer and doctor, and the registry's keepers of the
    child's area; anyone else who sees the child is refused (403)."""
    user = account(request)
    child = _child(user, child_id, "learning_get", allowed=access.sees_learning)
    learning = selectors.child_learning(user, child)
    assert learning is not None  # noqa: S101  # the door checked `sees_learning`
    return {
        "child": child.pk,
        "may_write": learning.may_write,
        "goals": [_goal(g) for g in learning.goals],
        "activities": [_activity(a) for a in learning.activities],
    }


@router.post(
    "/children/{child_id}/learning-goals",
    response=responses(201, LearningGoalOut),
    operation_id="learning_goal_set",
    summary="Set a learning goal",
)
def learning_goal_set(
    request: HttpRequest, child_id: ChildId, payload: LearningGoalIn
) -> Status[Any]:
    """The child's volunteer or a keeper of the child's area sets a goal; the paired officer
    and doctor, who read the goals, are refused (403)."""
    user = account(request)
    child = _child(user, child_id, "learning_goal_set", allowed=access.may_write_learning)
    goal = services.learning_goal_set(
        actor=user,
        child=child,
        subject=payload.subject,
        goal=payload.goal,
        started_on=payload.started_on,
    )
    return Status(201, _goal(goal))


@router.post(
    "/children/{child_id}/learning-notes",
    response=responses(201, LearningNoteOut, CONFLICT),
    operation_id="learning_note_add",
    summary="Write a progress note on a learning goal",
)
def learning_note_add(
    request: HttpRequest, child_id: ChildId, payload: LearningNoteIn
) -> Status[Any]:
    """A dated note on one of the child's goals (another child's goal is not found, 404), and
    the goal's new state if it changed; 409 if someone else changed the goal first. The
    child's volunteer or a keeper of the child's area."""
    user = account(request)
    child = _child(user, child_id, "learning_note_add", allowed=access.may_write_learning)
    goal = selectors.learning_goals_for_child(user, child).filter(pk=payload.goal).first()
    if goal is None:
        raise NotFound
    note = _step(
        lambda: services.learning_note_add(
            actor=user,
            goal=goal,
            note=payload.note,
            noted_on=payload.noted_on,
            state=payload.state or "",
        )
    )
    return Status(201, _note(note))


@router.post(
    "/children/{child_id}/interest-activities",
    response=responses(201, InterestActivityOut),
    operation_id="interest_activity_record",
    summary="Record an interest activity",
)
def interest_activity_record(
    request: HttpRequest, child_id: ChildId, payload: InterestActivityIn
) -> Status[Any]:
    """Something the child did for an interest (music, dance, art ...): the child's volunteer
    or a keeper of the child's area."""
    user = account(request)
    child = _child(user, child_id, "interest_activity_record", allowed=access.may_write_learning)
    activity = services.interest_activity_record(
        actor=user,
        child=child,
        interest=payload.interest,
        what=payload.what,
        done_on=payload.done_on,
        note=payload.note,
    )
    return Status(201, _activity(activity))


# ---- screenings -----------------------------------------------------------------------------


@router.post(
    "/children/{child_id}/screenings",
    response=responses(201, ScreeningOut),
    operation_id="screening_record",
    summary="Enter a wellbeing screening",
)
def screening_record(request: HttpRequest, child_id: ChildId, payload: ScreeningIn) -> Status[Any]:
    """The child's doctor, or a children's director the county lists as trained, enters a
    completed form; the total, subscales and band are computed with the instrument's version.
    At or above the cut-off the doctor gets a referral task; any self-harm answer raises a
    protection alert at once (`alert`). Needs the guardian's consent to screening (422 without);
    officers and volunteers are refused (403)."""
    user = account(request)
    child = _child(user, child_id, "screening_record", allowed=_health)
    row = services.screening_record(
        actor=user,
        child=child,
        instrument=payload.instrument,
        answers=list(payload.answers),
        supplementary=dict(payload.supplementary),
        screened_on=payload.screened_on,
        source="api",
    )
    return Status(201, _screening(row))


@router.get(
    "/children/{child_id}/screenings",
    response=responses(200, ScreeningListOut),
    operation_id="screening_list",
    summary="A child's screenings",
)
def screening_list(request: HttpRequest, child_id: ChildId, page: Query[Page]) -> dict[str, Any]:
    """Newest first. Doctors and registry staff only: officers and volunteers are refused (403)."""
    user = account(request)
    child = _child(user, child_id, "screening_list", allowed=_health)
    rows = selectors.screenings_for_child(user, child).select_related("entered_by")
    return {
        "items": [_screening(s) for s in rows[page.offset : page.offset + page.limit]],
        "count": rows.count(),
    }


# ---- the risk list --------------------------------------------------------------------------


@router.get(
    "/care/risk",
    response=responses(200, RiskListOut),
    operation_id="risk_list",
    summary="The risk list of your area",
)
def risk_list(request: HttpRequest, query: Query[RiskQuery]) -> dict[str, Any]:
    """Children of your area on the risk list (score at or above the county's threshold),
    highest first, each with its reasons as the daily job scored them. Directors, supervisors
    and county administrators only (the reasons include health): others are refused (403)."""
    user = account(request)
    if not access.keeps_care_records(user):
        raise PermissionDenied
    rows = selectors.risk_list(user, on_list_only=not query.include_below)
    count, exact = capped_count(rows)
    return {
        "items": [_risk(user, r) for r in rows[query.offset : query.offset + query.limit]],
        "count": count,
        "count_is_exact": exact,
    }


# ---- wishes ---------------------------------------------------------------------------------


@router.post(
    "/children/{child_id}/wishes",
    response=responses(201, WishOut),
    operation_id="wish_post",
    summary="Post a child's small wish",
)
def wish_post(request: HttpRequest, child_id: ChildId, payload: WishIn) -> Status[Any]:
    """By the child's director or supervisor, or the child's volunteer; the guardian must have
    agreed to share with volunteers (422 otherwise), since the board shows the wish."""
    user = account(request)
    child = _child(user, child_id, "wish_post")
    wish = services.wish_post(
        actor=user, child=child, what=payload.what, cost_yuan=payload.cost_yuan, note=payload.note
    )
    return Status(201, _wish(user, wish))


@router.get(
    "/wishes/board",
    response=responses(200, WishBoardOut),
    operation_id="wish_board",
    summary="Your county's wish board",
)
def wish_board(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    """Open and claimed wishes of your county, oldest first. Each shows only the child's given
    name (or its initial), age and township: never a full name, village, school or address."""
    user = account(request)
    county = access.wish_board_county(user)
    cards = (
        selectors.wish_board(county=county, today=timezone.localdate())
        if county is not None
        else []
    )
    return {
        "items": [vars(c) for c in cards[page.offset : page.offset + page.limit]],
        "count": len(cards),
    }


@router.post(
    "/wishes/{wish_id}/claim",
    response=responses(200, WishOut, CONFLICT),
    operation_id="wish_claim",
    summary="Claim a wish",
)
def wish_claim(
    request: HttpRequest, wish_id: WishId, payload: WishClaimIn | None = None
) -> dict[str, Any]:
    """Anyone working in the child's county claims an open wish for themself; a director or
    supervisor may claim it for a donor without an account. 409 if it was claimed first."""
    user = account(request)
    wish = access.wish_get_for_user(user, wish_id)
    donor = payload.donor_name if payload is not None else ""
    claimed = _step(lambda: services.wish_claim(actor=user, wish=wish, donor_name=donor))
    return _wish(user, claimed)


@router.post(
    "/wishes/{wish_id}/deliver",
    response=responses(200, WishOut, CONFLICT),
    operation_id="wish_deliver",
    summary="Mark a wish delivered",
)
def wish_deliver(request: HttpRequest, wish_id: WishId) -> dict[str, Any]:
    """The gift reached the child: the claimer, or the child's volunteer, director or
    supervisor. 409 unless the wish is claimed."""
    user = account(request)
    wish = access.wish_get_for_user(user, wish_id)
    return _wish(user, _step(lambda: services.wish_deliver(actor=user, wish=wish)))


@router.post(
    "/wishes/{wish_id}/confirm",
    response=responses(200, WishOut, CONFLICT),
    operation_id="wish_confirm",
    summary="Confirm a wish with the child",
)
def wish_confirm(
    request: HttpRequest, wish_id: WishId, payload: WishConfirmIn | None = None
) -> dict[str, Any]:
    """The child's volunteer, director or supervisor confirms with the child that the wish came
    true. 409 unless it was delivered."""
    user = account(request)
    wish = access.wish_get_for_user(user, wish_id)
    note = payload.note if payload is not None else ""
    return _wish(user, _step(lambda: services.wish_confirm(actor=user, wish=wish, note=note)))


# ---- gifts ----------------------------------------------------------------------------------


def _gift(user: User, g: Gift) -> dict[str, Any]:
    return {
        "id": g.pk,
        "event": g.event_id,
        "child": child_row(g.child, user),
        "what": g.what,
        "value_yuan": g.value_yuan,
        "donor": g.donor_id,
        "donor_name": g.donor.name if g.donor is not None else "",
        "state": g.state,
        "planned_at": g.planned_at,
        "delivered_at": g.delivered_at,
        "confirmed_at": g.confirmed_at,
        "reason": g.reason,
        "steps": access.gift_steps_allowed(user, g),
    }


@router.get(
    "/events/{event_id}/gifts",
    response=responses(200, GiftListOut),
    operation_id="gift_list",
    summary="An event's gifts",
)
def gift_list(request: HttpRequest, event_id: EventId, query: Query[GiftQuery]) -> dict[str, Any]:
    """The gifts of a Children's Day or festival for the children you may see (a volunteer:
    their paired children, with the given name only), in one state if `state` is given, as
    the event's page filters them. An event you do not reach is 404."""
    user = account(request)
    event = access.care_event_get_for_user(user, event_id)
    rows = selectors.gifts_of_event(user, event, state=query.state or "")
    return {
        "items": [_gift(user, g) for g in rows[query.offset : query.offset + query.limit]],
        "count": rows.count(),
    }


@router.post(
    "/events/{event_id}/gifts",
    response=responses(201, GiftPlanOut),
    operation_id="gift_plan",
    summary="Plan gifts for children",
)
def gift_plan(request: HttpRequest, event_id: EventId, payload: GiftPlanIn) -> Status[Any]:
    """A director, supervisor or county administrator plans a gift for the children named
    (`child_ids`, each of their area: 404 otherwise), or for every child of a township or
    village of theirs (`area_id`) who has none at the event yet. Children who already have a
    gift at the event are skipped and counted."""
    user = account(request)
    if not access.plans_gifts(user):
        raise PermissionDenied
    event = access.care_event_get_for_user(user, event_id)
    if payload.area_id is not None:
        area = access.gift_plan_area_for_user(user, event, payload.area_id)
        chosen = list(
            access.gift_children_for_user(user, event)
            .filter(village__code__startswith=area.code)
            .exclude(gifts__event=event)
            .select_related("village")
        )
        chosen += access.gift_plan_children_for_user(user, payload.child_ids)
    else:
        chosen = access.gift_plan_children_for_user(user, payload.child_ids)
    donor = None
    if payload.donor_id is not None:
        donor = access.donors_for_user(user).filter(pk=payload.donor_id).first()
        if donor is None:
            raise NotFound
    result = services.gift_plan(
        actor=user,
        event=event,
        children=chosen,
        what=payload.what,
        value_yuan=payload.value_yuan,
        donor=donor,
    )
    gifts = selectors.gifts_of_event(user, event).filter(pk__in=[g.pk for g in result.planned])
    return Status(201, {"planned": [_gift(user, g) for g in gifts], "already": result.already})


@router.post(
    "/gifts/{gift_id}/deliver",
    response=responses(200, GiftOut, CONFLICT),
    operation_id="gift_deliver",
    summary="Mark a gift delivered",
)
def gift_deliver(request: HttpRequest, gift_id: GiftId) -> dict[str, Any]:
    """The gift reached the child: the child's volunteer, director, supervisor or county
    administrator. 409 unless it is planned."""
    user = account(request)
    gift = access.gift_get_for_user(user, gift_id, route=route("gift_deliver"))
    return _gift(user, services.gift_deliver(actor=user, gift=gift))


@router.post(
    "/gifts/{gift_id}/confirm",
    response=responses(200, GiftOut, CONFLICT),
    operation_id="gift_confirm",
    summary="Confirm a gift with the child",
)
def gift_confirm(
    request: HttpRequest, gift_id: GiftId, payload: GiftConfirmIn | None = None
) -> dict[str, Any]:
    """Confirmed with the child that the gift came to them. 409 unless it was delivered."""
    user = account(request)
    gift = access.gift_get_for_user(user, gift_id, route=route("gift_confirm"))
    note = payload.note if payload is not None else ""
    return _gift(user, services.gift_confirm(actor=user, gift=gift, note=note))


@router.post(
    "/gifts/{gift_id}/not-delivered",
    response=responses(200, GiftOut, CONFLICT),
    operation_id="gift_not_delivered",
    summary="Mark a gift not delivered",
)
def gift_not_delivered(
    request: HttpRequest, gift_id: GiftId, payload: GiftNotDeliveredIn
) -> dict[str, Any]:
    """A planned gift that will not reach the child, with why. 409 unless it is planned."""
    user = account(request)
    gift = access.gift_get_for_user(user, gift_id, route=route("gift_not_delivered"))
    return _gift(user, services.gift_not_delivered(actor=user, gift=gift, reason=payload.reason))


@router.get(
    "/donors/{organisation_id}/gift-totals",
    response=responses(200, DonorTotalsOut),
    operation_id="donor_totals",
    summary="A donor's gift totals",
)
def donor_totals(request: HttpRequest, organisation_id: OrganisationId) -> dict[str, Any]:
    """For the county administrator: what a donor organisation of the county gave its
    children, by event, county and township. No child appears; a figure below 5 is "<5"."""
    user = account(request)
    county = county_for_admin(user)
    if county is None:
        raise PermissionDenied
    organisation = access.donor_get_for_admin(user, organisation_id)
    return selectors.donor_totals(organisation, county=county).as_dict()


@router.post(
    "/donors/{organisation_id}/thanks",
    response=responses(200, DonorThanksOut),
    operation_id="donor_thank",
    summary="Thank a donor with its totals",
)
def donor_thank(request: HttpRequest, organisation_id: OrganisationId) -> dict[str, Any]:
    """The county administrator thanks a donor: an email to its contact with its totals (as
    `donor_totals` gives them), in Chinese and English, through the outbox. 422 when the
    organisation has no contact email or gave nothing."""
    user = account(request)
    if county_for_admin(user) is None:
        raise PermissionDenied
    organisation = access.donor_get_for_admin(user, organisation_id)
    return {"queued": services.donor_thank(actor=user, organisation=organisation)}
