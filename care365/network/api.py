"""Mandatory reports for staff, read only (the public page is the way in; docs/network.md).

Reports come through the access layer (`network.access`): the county's administrators,
supervisors and directors of their villages, the covering station's officers; out of scope
answers 404, like missing. The reporter is null for everyone but the county's administrators.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from care365.accounts.access import child_get_for_user
from care365.accounts.api import account
from care365.accounts.models import AccessPurpose, User
from care365.core.api import CONFLICT, responses, route
from care365.core.schemas import Page
from care365.network import access, selectors, services
from care365.network.models import CaseConference, ConferenceAction, Referral
from care365.network.schemas import (
    ActionId,
    AttendeeId,
    ConferenceActionDoneIn,
    ConferenceActionFilter,
    ConferenceActionIn,
    ConferenceActionListOut,
    ConferenceActionOut,
    ConferenceActionUpdateIn,
    ConferenceAttendeeIn,
    ConferenceAttendeeOut,
    ConferenceHoldIn,
    ConferenceId,
    ConferenceIn,
    ConferenceListOut,
    ConferenceOut,
    ConferenceUpdateIn,
    MandatoryReportListOut,
    MandatoryReportOut,
    ReferralDeclineIn,
    ReferralDoneIn,
    ReferralFilter,
    ReferralId,
    ReferralIn,
    ReferralListOut,
    ReferralOut,
    ReportId,
)

router = Router(tags=["network"])


def _report(row: selectors.ReportRow) -> dict[str, Any]:
    report = row.report
    village = report.village
    task = row.task
    return {
        "id": report.pk,
        "created_at": report.created_at,
        "village": {"id": village.pk, "name": village.name, "code": village.code},
        "township": village.parent.name if village.parent else "",
        "situation": report.situation,
        "what_seen": report.what_seen,
        "child_described": {
            "name": report.child_name,
            "age": report.child_age,
            "where": report.child_where,
        },
        "registered": report.child_id is not None,
        "child": report.child_id if row.child_visible else None,
        "alert": report.alert_id,
        "state": report.alert.state,
        "status": row.status,
        "registration_task": (
            {"id": task.pk, "kind": task.kind, "state": task.state, "due_on": task.due_on}
            if task is not None
            else None
        ),
        "reporter": (
            {
                "name": report.reporter_name,
                "phone": report.reporter_phone,
                "role": report.reporter_role,
            }
            if row.reporter
            else None
        ),
    }


def _reader(request: HttpRequest) -> User:
    user = account(request)
    if not access.reads_mandatory_reports(user):
        raise PermissionDenied
    return user


@router.get(
    "/mandatory-reports",
    response=responses(200, MandatoryReportListOut),
    operation_id="mandatory_report_list",
    summary="Mandatory reports from the public page",
)
def mandatory_report_list(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    """Newest first: the reports of your county (administrators), your villages (supervisors,
    directors) or the villages your station covers (officers). Others are refused (403)."""
    user = _reader(request)
    rows = selectors.report_rows_page(user, offset=page.offset, limit=page.limit)
    return {"items": [_report(r) for r in rows], "count": selectors.reports_count(user)}


@router.get(
    "/mandatory-reports/{report_id}",
    response=responses(200, MandatoryReportOut),
    operation_id="mandatory_report_get",
    summary="One mandatory report",
)
def mandatory_report_get(request: HttpRequest, report_id: ReportId) -> dict[str, Any]:
    """The report; 404 when it is not yours to see, as when it does not exist."""
    user = account(request)
    report = access.mandatory_report_get_for_user(
        user, report_id, route=route("mandatory_report_get")
    )
    return _report(selectors.report_row(user, report))


# Referrals (转介; docs/network.md).
def _referral(referral: Referral, today: date) -> dict[str, Any]:
    organisation = referral.organisation
    return {
        "id": referral.pk,
        "child": referral.child_id,
        "organisation": {
            "id": organisation.pk,
            "name": organisation.name,
            "kind": organisation.kind,
        },
        "service": referral.service,
        "reason": referral.reason,
        "state": referral.state,
        "overdue": referral.state in Referral.OPEN_STATES and referral.due_on < today,
        "referred_by": referral.referred_by_id,
        "created_at": referral.created_at,
        "due_on": referral.due_on,
        "answered_at": referral.answered_at,
        "decline_reason": referral.decline_reason,
        "done_at": referral.done_at,
        "what_done": referral.what_done,
        "outcome": referral.outcome,
    }


@router.get(
    "/referrals",
    response=responses(200, ReferralListOut),
    operation_id="referral_list",
    summary="Referrals",
)
def referral_list(request: HttpRequest, filters: Query[ReferralFilter]) -> dict[str, Any]:
    """Newest first: the referrals of the children you may see (a volunteer: the ones they
    made); `overdue=true`: past due and not done, of your area (registry staff), most overdue
    first. Roles that refer nobody are refused (403)."""
    user = account(request)
    if not access.reads_referrals(user):
        raise PermissionDenied
    today = timezone.localdate()
    if filters.overdue:
        rows = access.referrals_overdue_for_user(user, today).order_by("due_on", "pk")
    else:
        rows = access.referrals_for_user(user).order_by("-created_at", "-pk")
    page = rows.select_related("organisation")[filters.offset : filters.offset + filters.limit]
    return {"items": [_referral(r, today) for r in page], "count": rows.count()}


@router.post(
    "/referrals",
    response=responses(201, ReferralOut),
    operation_id="referral_create",
    summary="Refer a child to an organisation's service",
)
def referral_create(request: HttpRequest, payload: ReferralIn) -> Status[dict[str, Any]]:
    """Registry staff of the child's area or a carer paired with the child; the organisation
    of the child's county and offering the service (422 naming the field otherwise). Due in
    `CARE365_REFERRAL_DAYS` days."""
    user = account(request)
    child = child_get_for_user(
        user,
        payload.child,
        AccessPurpose.VIEW,
        route=route("referral_create"),
        allowed=access.may_refer,
    )
    referral = services.referral_create(
        actor=user,
        child=child,
        organisation_id=payload.organisation,
        service=payload.service,
        reason=payload.reason,
    )
    return Status(201, _referral(referral, timezone.localdate()))


def _answered(request: HttpRequest, referral_id: int, op: str) -> tuple[User, Referral]:
    user = account(request)
    referral = access.referral_get_for_user(user, referral_id, route=route(op))
    if not access.answers_for_organisation(user, referral):
        raise PermissionDenied
    return user, referral


@router.post(
    "/referrals/{referral_id}/accept",
    response=responses(200, ReferralOut, CONFLICT),
    operation_id="referral_accept",
    summary="Record that the organisation accepts",
)
def referral_accept(request: HttpRequest, referral_id: ReferralId) -> dict[str, Any]:
    """The county's administrators, on the organisation's behalf (others who see the referral:
    403). 409 once it is answered."""
    user, referral = _answered(request, referral_id, "referral_accept")
    referral = services.referral_accept(actor=user, referral=referral)
    return _referral(referral, timezone.localdate())


@router.post(
    "/referrals/{referral_id}/decline",
    response=responses(200, ReferralOut, CONFLICT),
    operation_id="referral_decline",
    summary="Record that the organisation declines",
)
def referral_decline(
    request: HttpRequest, referral_id: ReferralId, payload: ReferralDeclineIn
) -> dict[str, Any]:
    """With the organisation's reason (422 without one); 409 once it is answered."""
    user, referral = _answered(request, referral_id, "referral_decline")
    referral = services.referral_decline(actor=user, referral=referral, reason=payload.reason)
    return _referral(referral, timezone.localdate())


@router.post(
    "/referrals/{referral_id}/done",
    response=responses(200, ReferralOut, CONFLICT),
    operation_id="referral_done",
    summary="Record what was done and the outcome",
)
def referral_done(
    request: HttpRequest, referral_id: ReferralId, payload: ReferralDoneIn
) -> dict[str, Any]:
    """Closes the referral (from sent or accepted); 409 once declined or done."""
    user, referral = _answered(request, referral_id, "referral_done")
    referral = services.referral_done(
        actor=user, referral=referral, what_done=payload.what_done, outcome=payload.outcome
    )
    return _referral(referral, timezone.localdate())


# Case conferences (联席会议; docs/network.md).
def _action(action: ConferenceAction, today: date) -> dict[str, Any]:
    return {
        "id": action.pk,
        "conference": action.conference_id,
        "what": action.what,
        "owner": action.owner_id,
        "organisation": action.organisation_id,
        "due_on": action.due_on,
        "state": action.state,
        "overdue": action.state == ConferenceAction.State.OPEN and action.due_on < today,
        "done_at": action.done_at,
        "note": action.note,
    }


def _conference(view: selectors.ConferenceView, today: date) -> dict[str, Any]:
    conference = view.conference
    team, full = view.team, view.full
    return {
        "id": conference.pk,
        "child": conference.child_id,
        "held_on": conference.held_on,
        "state": conference.state,
        "sight": view.sight,
        "format": conference.format if team else None,
        "place": conference.place if team else None,
        "on_risk_list": conference.on_risk_list if full else None,
        "reason": conference.reason if full else None,
        "summary": conference.summary if full else None,
        "decisions": conference.decisions if team else None,
        "convened_by": conference.convened_by_id if team else None,
        "created_at": conference.created_at,
        "attendees": (
            [
                {
                    "id": a.pk,
                    "user": a.user_id,
                    "name": a.user.display_name if a.user is not None else a.name,
                    "organisation": a.organisation.name if a.organisation else None,
                    "role": a.role,
                }
                for a in view.attendees
            ]
            if team
            else None
        ),
        "actions": [_action(a, today) for a in view.actions],
    }


@router.get(
    "/conferences",
    response=responses(200, ConferenceListOut),
    operation_id="conference_list",
    summary="Case conferences of your area",
)
def conference_list(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    """Newest first: the conferences of the children of your area (county administrators,
    township supervisors). Others are refused (403): they open a conference from a child or an
    action of theirs."""
    user = account(request)
    if not access.reads_conferences(user):
        raise PermissionDenied
    today = timezone.localdate()
    views = selectors.conference_views_of_area(user, offset=page.offset, limit=page.limit)
    return {
        "items": [_conference(view, today) for view in views],
        "count": access.conferences_of_area(user).count(),
    }


@router.get(
    "/conferences/{conference_id}",
    response=responses(200, ConferenceOut),
    operation_id="conference_get",
    summary="One case conference",
)
def conference_get(request: HttpRequest, conference_id: ConferenceId) -> dict[str, Any]:
    """As much as your role sees (`sight`); 404 when it is not yours to see, as when missing."""
    user = account(request)
    conference = access.conference_get_for_user(user, conference_id, route=route("conference_get"))
    return _conference(selectors.conference_view(user, conference), timezone.localdate())


@router.post(
    "/conferences",
    response=responses(201, ConferenceOut),
    operation_id="conference_create",
    summary="Convene a case conference for a child",
)
def conference_create(request: HttpRequest, payload: ConferenceIn) -> Status[dict[str, Any]]:
    """A county administrator or the child's township supervisor, for a child of their area;
    a child not on the risk list needs a `reason` (422 naming the field otherwise)."""
    user = account(request)
    child = child_get_for_user(
        user,
        payload.child,
        AccessPurpose.VIEW,
        route=route("conference_create"),
        allowed=access.may_convene,
    )
    conference = services.conference_create(
        actor=user,
        child=child,
        held_on=payload.held_on,
        place=payload.place,
        format=payload.format,
        reason=payload.reason,
    )
    return Status(
        201, _conference(selectors.conference_view(user, conference), timezone.localdate())
    )


def _run(request: HttpRequest, conference_id: int, op: str) -> tuple[User, CaseConference]:
    user = account(request)
    conference = access.conference_get_for_user(user, conference_id, route=route(op))
    if not access.runs_conference(user, conference):
        raise PermissionDenied
    return user, conference


@router.patch(
    "/conferences/{conference_id}",
    response=responses(200, ConferenceOut, CONFLICT),
    operation_id="conference_update",
    summary="Change a case conference",
)
def conference_update(
    request: HttpRequest, conference_id: ConferenceId, payload: ConferenceUpdateIn
) -> dict[str, Any]:
    """The date, place and format, and what was discussed and decided; only the fields sent
    change. The conveners of the child's area (others who see it: 403); 409 once closed."""
    user, conference = _run(request, conference_id, "conference_update")
    sent = payload.model_dump(exclude_unset=True)
    values = {
        name: sent.get(name, getattr(conference, name))
        for name in ("held_on", "place", "format", "summary", "decisions")
    }
    conference = services.conference_update(actor=user, conference=conference, **values)
    return _conference(selectors.conference_view(user, conference), timezone.localdate())


@router.post(
    "/conferences/{conference_id}/hold",
    response=responses(200, ConferenceOut, CONFLICT),
    operation_id="conference_hold",
    summary="Record that the conference was held",
)
def conference_hold(
    request: HttpRequest, conference_id: ConferenceId, payload: ConferenceHoldIn
) -> dict[str, Any]:
    """What was discussed and decided (the decisions required: 422); the conveners of the
    child's area (others who see it: 403); 409 unless planned."""
    user, conference = _run(request, conference_id, "conference_hold")
    conference = services.conference_hold(
        actor=user, conference=conference, summary=payload.summary, decisions=payload.decisions
    )
    return _conference(selectors.conference_view(user, conference), timezone.localdate())


@router.post(
    "/conferences/{conference_id}/close",
    response=responses(200, ConferenceOut, CONFLICT),
    operation_id="conference_close",
    summary="Close a held conference",
)
def conference_close(request: HttpRequest, conference_id: ConferenceId) -> dict[str, Any]:
    """Once every action is done; 409 while one is open or unless held."""
    user, conference = _run(request, conference_id, "conference_close")
    conference = services.conference_close(actor=user, conference=conference)
    return _conference(selectors.conference_view(user, conference), timezone.localdate())


@router.post(
    "/conferences/{conference_id}/attendees",
    response=responses(201, ConferenceAttendeeOut, CONFLICT),
    operation_id="conference_attendee_add",
    summary="Record someone at the conference",
)
def conference_attendee_add(
    request: HttpRequest, conference_id: ConferenceId, payload: ConferenceAttendeeIn
) -> Status[dict[str, Any]]:
    """A user of the child's county, or a person's name (with their organisation); 422
    naming the field otherwise; 409 once closed."""
    user, conference = _run(request, conference_id, "conference_attendee_add")
    attendee = services.conference_attendee_add(
        actor=user,
        conference=conference,
        user_id=payload.user,
        organisation_id=payload.organisation,
        name=payload.name,
        role=payload.role,
    )
    return Status(
        201,
        {
            "id": attendee.pk,
            "user": attendee.user_id,
            "name": attendee.user.display_name if attendee.user is not None else attendee.name,
            "organisation": attendee.organisation.name if attendee.organisation else None,
            "role": attendee.role,
        },
    )


@router.delete(
    "/conferences/{conference_id}/attendees/{attendee_id}",
    response=responses(204, None, CONFLICT),
    operation_id="conference_attendee_remove",
    summary="Take back an attendee recorded by mistake",
)
def conference_attendee_remove(
    request: HttpRequest, conference_id: ConferenceId, attendee_id: AttendeeId
) -> Status[None]:
    """The conveners of the child's area (others who see it: 403); 404 for an attendee of
    another conference; 409 once closed."""
    user, conference = _run(request, conference_id, "conference_attendee_remove")
    attendee = access.conference_attendee_get(conference, attendee_id)
    services.conference_attendee_remove(actor=user, attendee=attendee)
    return Status(204, None)


@router.post(
    "/conferences/{conference_id}/actions",
    response=responses(201, ConferenceActionOut, CONFLICT),
    operation_id="conference_action_add",
    summary="Add an action the conference decided",
)
def conference_action_add(
    request: HttpRequest, conference_id: ConferenceId, payload: ConferenceActionIn
) -> Status[dict[str, Any]]:
    """The conveners of the child's area (others who see the conference: 403); the owner a
    staff user of the child's county, due today or later (422 otherwise); 409 once closed."""
    user, conference = _run(request, conference_id, "conference_action_add")
    action = services.conference_action_add(
        actor=user,
        conference=conference,
        what=payload.what,
        owner_id=payload.owner,
        due_on=payload.due_on,
        organisation_id=payload.organisation,
    )
    return Status(201, _action(action, timezone.localdate()))


@router.get(
    "/conference-actions",
    response=responses(200, ConferenceActionListOut),
    operation_id="conference_action_list",
    summary="Your conference actions",
)
def conference_action_list(
    request: HttpRequest, filters: Query[ConferenceActionFilter]
) -> dict[str, Any]:
    """The actions you own, open first, soonest due first; `overdue=true`: open actions past
    due of your area's conferences (conveners; empty for others). Roles that own no action are
    refused (403)."""
    user = account(request)
    if not access.owns_actions(user):
        raise PermissionDenied
    today = timezone.localdate()
    if filters.overdue:
        rows = access.conference_actions_overdue_for_user(user, today).order_by("due_on", "pk")
    else:
        rows = access.conference_actions_owned(user).order_by("state", "due_on", "pk")
    page = rows[filters.offset : filters.offset + filters.limit]
    return {"items": [_action(a, today) for a in page], "count": rows.count()}


@router.patch(
    "/conference-actions/{action_id}",
    response=responses(200, ConferenceActionOut, CONFLICT),
    operation_id="conference_action_update",
    summary="Change an open action",
)
def conference_action_update(
    request: HttpRequest, action_id: ActionId, payload: ConferenceActionUpdateIn
) -> dict[str, Any]:
    """What, owner, due date and organisation (`0` for none); only the fields sent change.
    The conveners of the child's area (the action's owner: 403; anyone else: 404); 422 naming
    the field; 409 once done or closed."""
    user = account(request)
    action = access.conference_action_get_for_user(
        user, action_id, route=route("conference_action_update")
    )
    if not access.runs_conference(user, action.conference):
        raise PermissionDenied
    sent = payload.model_dump(exclude_unset=True)
    organisation = sent.get("organisation", action.organisation_id)
    action = services.conference_action_update(
        actor=user,
        action=action,
        what=sent.get("what", action.what),
        owner_id=sent.get("owner", action.owner_id),
        due_on=sent.get("due_on", action.due_on),
        organisation_id=organisation or None,
    )
    return _action(action, timezone.localdate())


@router.post(
    "/conference-actions/{action_id}/done",
    response=responses(200, ConferenceActionOut, CONFLICT),
    operation_id="conference_action_done",
    summary="Mark an action done, with a note",
)
def conference_action_done(
    request: HttpRequest, action_id: ActionId, payload: ConferenceActionDoneIn
) -> dict[str, Any]:
    """The action's owner or a convener of the child's area (404 for anyone else); 422
    without a note; 409 once done."""
    user = account(request)
    action = access.conference_action_get_for_user(
        user, action_id, route=route("conference_action_done")
    )
    action = services.conference_action_done(actor=user, action=action, note=payload.note)
    return _action(action, timezone.localdate())
