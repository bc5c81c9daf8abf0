"""Instant protection: raise and answer alerts, follow them, the live event stream, the county's
escalation policy, the SMS gateway's webhook and the health check.

Children are reached through the access layer and alerts through protection's selectors (an
alert out of sight answers 404, like a missing one, and reading one is written to the access
log); every write is one protection service. An answer the alert's state no longer allows
(someone acknowledged first, or it is resolved) answers 409.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import P, PathEx, Query, QueryEx, Router, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyHeader

from care365.accounts.access import child_get_for_user
from care365.accounts.api import account
from care365.accounts.models import AccessPurpose, User
from care365.accounts.selectors import users_with_ids
from care365.areas.models import Area
from care365.areas.selectors import area_get
from care365.core.api import CONFLICT, responses, route
from care365.core.schemas import MAX_ID
from care365.protection import access, event_stream, selectors, services
from care365.protection.models import Alert, Source
from care365.protection.schemas import (
    AlertIn,
    AlertListOut,
    AlertNoteIn,
    AlertOut,
    AlertQuery,
    AlertResolveIn,
    EscalationPolicyIn,
    EscalationPolicyOut,
    HealthCheckOut,
    SmsIn,
    SmsOut,
)
from care365.protection.selectors import (
    AlertRow,
    AlertTimeline,
    SafetyCard,
    TimelineEvent,
    TimelineNotification,
)

router = Router(tags=["alerts"])

AlertId = PathEx[int, P(ge=1, le=MAX_ID, description="The alert's id.")]
LastEventId = QueryEx[
    int | None,
    P(ge=0, le=MAX_ID, description="Start after this event (for a first connection)."),
]

SIGNATURE_HEADER = "X-Signature"


# ---- rendering ------------------------------------------------------------------------------


def _user(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "username": user.username, "role": user.role}


def _area(area: Area | None) -> dict[str, Any] | None:
    return None if area is None else {"id": area.pk, "name": area.name}


def _row(row: AlertRow) -> dict[str, Any]:
    alert = row.alert
    village = alert.village
    officer = alert.assigned_officer
    return {
        "id": alert.pk,
        "child": alert.child_id,
        "child_name": row.child.get("name") if row.child is not None else None,
        "kind": alert.kind,
        "source": alert.source,
        "state": alert.state,
        "level": alert.level,
        "village": _area(village),
        "township": _area(village.parent if village is not None else None),
        "raised_at": alert.raised_at,
        "next_step_at": alert.next_step_at,
        "acknowledged_at": alert.acknowledged_at,
        "sender": alert.sender_masked,
        "requests": alert.request_count,
        "assigned_officer": (
            None
            if officer is None
            else {"id": officer.pk, "role": officer.role, "name": officer.name}
        ),
        "answered_by": row.answered_by or None,
    }


def _event(e: TimelineEvent) -> dict[str, Any]:
    return {
        "at": e.at,
        "kind": e.kind,
        "level": e.level,
        "due_at": e.due_at,
        "actor": _user(e.actor),
        "data": e.data,
    }


def _notification(n: TimelineNotification) -> dict[str, Any]:
    return {
        "id": n.id,
        "level": n.level,
        "channel": n.channel,
        "recipient": _user(n.recipient),
        "address": n.address,
        "state": n.state,
        "attempts": n.attempts,
        "created_at": n.created_at,
        "sent_at": n.sent_at,
        "last_error": n.last_error,
    }


def _card(card: SafetyCard) -> dict[str, Any]:
    guardian = card.guardian
    return {
        "child": card.child_id,
        "name": card.child_name,
        "age": card.age,
        "village": card.village,
        "township": card.township,
        "address": card.address,
        "guardian": (
            None
            if guardian is None
            else {"role": guardian.relationship, "name": guardian.name, "phone": guardian.phone}
        ),
        "parents": [{"role": p.role, "name": p.name, "phone": p.phone} for p in card.parents],
        "team": [{"role": m.role, "name": m.carer.name, "phone": m.carer.phone} for m in card.team],
        "sender_phone": card.sender_phone,
    }


def _render(user: User, alert: Alert, *, as_written: bool = False) -> dict[str, Any]:
    """The alert with its incident record, as the user may see it; `as_written` for an alert
    the request has just raised (its record is what the service wrote, not read back)."""
    written = alert.written if as_written else None
    timeline: AlertTimeline = selectors.alert_timeline(user, alert, written=written)
    responder = access.can_respond(user, alert, written=written)
    return {
        **_row(selectors.alert_rows(user, [alert])[0]),
        "note": alert.note,
        "mandatory_report": alert.is_mandatory_report,
        "raised_by": _user(selectors.alert_reporter_for_user(user, alert)),
        "on_the_way_at": alert.on_the_way_at,
        "with_child_at": alert.with_child_at,
        "resolved_at": alert.resolved_at,
        "resolution": alert.resolution,
        "resolution_note": alert.resolution_note,
        "can_respond": access.can_answer(user, alert, written=written),
        "safety_card": _card(selectors.safety_card(alert)) if responder else None,
        "events": [_event(e) for e in timeline.events],
        "notifications": [_notification(n) for n in timeline.notifications],
    }


def _alert(user: User, alert_id: int, operation_id: str) -> Alert:
    return access.alert_get_for_user(user, alert_id, route=route(operation_id))


# ---- alerts ---------------------------------------------------------------------------------


@router.post(
    "/alerts",
    response=responses(201, AlertOut),
    operation_id="alert_raise",
    summary="Raise an alert",
)
def alert_raise(request: HttpRequest, payload: AlertIn) -> Status[dict[str, Any]]:
    """Raise an alert (SOS) for a child you may see. The child's officer is told at once (in the
    app, by SMS and by email, as the county's policy says) and the alert climbs the policy until
    somebody answers. A child who has left the registry is refused (422)."""
    user = account(request)
    child = child_get_for_user(user, payload.child, AccessPurpose.VIEW, route=route("alert_raise"))
    raised = services.alert_raise(
        actor=user, child=child, kind=payload.kind, note=payload.note, source=Source.API
    )
    # The raiser sees the alert (and the child, just read through the access layer): it is
    # answered as written, not read back.
    # A raise folded into the child's open alert ("raised again") is read back.
    told = raised.told
    body = _render(user, raised, as_written=raised.written is not None)
    return Status(201, {**body, "told": told.message() if told is not None else None})


@router.get(
    "/alerts",
    response=responses(200, AlertListOut),
    operation_id="alert_list",
    summary="Open alerts",
)
def alert_list(request: HttpRequest, filters: Query[AlertQuery]) -> dict[str, Any]:
    """The live board: alerts not yet resolved that you may see, newest first. `area` narrows
    it to a county, township or village (an unknown area lists nothing)."""
    user = account(request)
    area = None
    if filters.area is not None:
        area = area_get(filters.area)
        if area is None:
            return {"items": [], "count": 0}
    alerts = selectors.alerts_open_for_user(user, area=area)
    count = alerts.count()
    page = list(alerts[filters.offset : filters.offset + filters.limit])
    return {"items": [_row(row) for row in selectors.alert_rows(user, page)], "count": count}


@router.get(
    "/alerts/{alert_id}",
    response=responses(200, AlertOut),
    operation_id="alert_get",
    summary="Get an alert and its incident record",
)
def alert_get(request: HttpRequest, alert_id: AlertId) -> dict[str, Any]:
    """State, escalation level, every step and every notification with its time. Responders
    also get the child's safety card. The read is written to the access log."""
    user = account(request)
    return _render(user, _alert(user, alert_id, "alert_get"))


def _note(payload: AlertNoteIn | None) -> str:
    return payload.note if payload is not None else ""


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response=responses(200, AlertOut, CONFLICT),
    operation_id="alert_acknowledge",
    summary="Acknowledge an alert",
)
def alert_acknowledge(
    request: HttpRequest, alert_id: AlertId, payload: AlertNoteIn | None = None
) -> dict[str, Any]:
    """The escalation stops. 409 if someone answered first; 403 if you may not answer it
    (doctors and volunteers follow the alerts they raised but do not answer them)."""
    user = account(request)
    alert = _alert(user, alert_id, "alert_acknowledge")
    answered = services.alert_acknowledge(actor=user, alert=alert, note=_note(payload))
    return _render(user, answered)


@router.post(
    "/alerts/{alert_id}/on-the-way",
    response=responses(200, AlertOut, CONFLICT),
    operation_id="alert_on_the_way",
    summary="Say you are on your way",
)
def alert_on_the_way(
    request: HttpRequest, alert_id: AlertId, payload: AlertNoteIn | None = None
) -> dict[str, Any]:
    """Acknowledges the alert if nobody had. 409 once someone is with the child or it is
    resolved."""
    user = account(request)
    alert = _alert(user, alert_id, "alert_on_the_way")
    answered = services.alert_on_the_way(actor=user, alert=alert, note=_note(payload))
    return _render(user, answered)


@router.post(
    "/alerts/{alert_id}/with-child",
    response=responses(200, AlertOut, CONFLICT),
    operation_id="alert_with_child",
    summary="Say you are with the child",
)
def alert_with_child(
    request: HttpRequest, alert_id: AlertId, payload: AlertNoteIn | None = None
) -> dict[str, Any]:
    """The time to reach the child is counted to here. 409 once it is resolved."""
    user = account(request)
    alert = _alert(user, alert_id, "alert_with_child")
    answered = services.alert_with_child(actor=user, alert=alert, note=_note(payload))
    return _render(user, answered)


@router.post(
    "/alerts/{alert_id}/resolve",
    response=responses(200, AlertOut, CONFLICT),
    operation_id="alert_resolve",
    summary="Resolve an alert",
)
def alert_resolve(
    request: HttpRequest, alert_id: AlertId, payload: AlertResolveIn
) -> dict[str, Any]:
    """Close the alert: the child is safe, referred, handed to a police case, or it was a false
    alarm, with a note. 409 if it is already resolved."""
    user = account(request)
    alert = _alert(user, alert_id, "alert_resolve")
    answered = services.alert_resolve(
        actor=user, alert=alert, resolution=payload.resolution, note=payload.note
    )
    return _render(user, answered)


# ---- the event stream -----------------------------------------------------------------------

EVENT_STREAM_DOC = {
    "responses": {
        200: {
            "description": "text/event-stream: `id: <n>`, `event: <kind>`, `data: <JSON>`.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    }
}


def _header_id(request: HttpRequest) -> int | None:
    """The Last-Event-ID header, read here rather than declared as a parameter: with a header
    parameter in the schema, strict schema tools count every other header as a violation."""
    value = request.headers.get("Last-Event-ID")
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if len(value) > len(str(MAX_ID)) or not (value.isascii() and value.isdigit()):
        raise ValidationError({"Last-Event-ID": _("Send the id of the last event received.")})
    if int(value) > MAX_ID:
        raise ValidationError({"Last-Event-ID": _("Send the id of the last event received.")})
    return int(value)


def _last_id(user: User, header: int | None, query: int | None) -> int:
    """Where the stream starts: after the browser's Last-Event-ID (sent on a reconnect), else
    after `last_event_id`, else after the user's latest event (only new ones)."""
    if header is not None:
        return header
    if query is not None:
        return query
    return selectors.events_last_id(user)


def _stream_headers(response: HttpResponse | StreamingHttpResponse) -> None:
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once


@router.get(
    "/events",
    response=responses(200, None),
    operation_id="event_stream",
    summary="Your live event stream (server-sent events)",
    openapi_extra=EVENT_STREAM_DOC,
)
async def event_stream_op(
    request: HttpRequest,
    last_event_id: LastEventId = None,
) -> HttpResponse | StreamingHttpResponse:
    """Alerts sent to you and changes to them, as they happen: each event has its number
    (`id`), its kind (`event`: alert, alert_update, alert_repeated, follow_up) and JSON data.
    Reconnecting with `Last-Event-ID: n` (browsers do so by themselves) sends exactly the events
    after n; `last_event_id` does the same for a first connection (the header wins). Without
    either the stream starts with the next new event. A comment line every 15 s
    keeps the connection open; the stream ends after 5 minutes and the browser reconnects.
    Served by a WSGI server instead of uvicorn, the stream answers what is waiting and ends."""
    user = account(request)
    last_event_id_header = _header_id(request)
    language = translation.get_language() or "zh-hans"
    if not isinstance(request, ASGIRequest):
        # No event loop to wait in: answer what is there and let the browser come back.
        last = await event_stream.db_here(_last_id, user, last_event_id_header, last_event_id)
        events = await event_stream.db_here(
            selectors.events_for_user_since, user, last, limit=event_stream.BATCH
        )
        body = event_stream.opening() + "".join(event_stream.frame(e, language) for e in events)
        response = HttpResponse(body, content_type="text/event-stream; charset=utf-8")
        _stream_headers(response)
        return response
    # In the request's own thread, on the connection its sign-in used (the stream gives that
    # back as it starts): an opening stream never holds two of the pool's connections.
    last = await event_stream.db_here(_last_id, user, last_event_id_header, last_event_id)
    streaming = StreamingHttpResponse(
        event_stream.live(user, last, language), content_type="text/event-stream; charset=utf-8"
    )
    _stream_headers(streaming)
    return streaming


# ---- the county's escalation policy ---------------------------------------------------------


def _county(request: HttpRequest) -> tuple[User, Area]:
    user = account(request)
    county = access.policy_county(user)
    if county is None:
        raise PermissionDenied
    return user, county


def _policy(county: Area) -> dict[str, Any]:
    view = selectors.escalation_policy_get(county)
    return {
        "county": _area(county),
        "steps": view.steps,
        "repeat_seconds": view.repeat_seconds,
        "desk_phone": view.desk_phone,
        "desk_email": view.desk_email,
        "sms_number": view.sms_number,
        "desk_users": [_user(u) for u in view.desk_users],
        "saved": view.saved,
        "updated_at": view.updated_at,
    }


@router.get(
    "/escalation-policy",
    response=responses(200, EscalationPolicyOut),
    operation_id="escalation_policy_get",
    summary="Your county's escalation policy",
)
def escalation_policy_get(request: HttpRequest) -> dict[str, Any]:
    """Who is told at each step, after how long, through which channels; the county duty
    desk's contacts. County administrators only."""
    _admin, county = _county(request)
    return _policy(county)


@router.put(
    "/escalation-policy",
    response=responses(200, EscalationPolicyOut),
    operation_id="escalation_policy_update",
    summary="Replace your county's escalation policy",
)
def escalation_policy_update(request: HttpRequest, payload: EscalationPolicyIn) -> dict[str, Any]:
    """The new policy applies to alerts raised from now on; alerts under way keep theirs. A
    policy that cannot be used is refused (422) with the reason."""
    user, county = _county(request)
    ids = set(payload.desk_users)
    staff = users_with_ids(ids)
    if len(staff) != len(ids):
        raise ValidationError(
            {"desk_users": _("Duty desk staff must be active users of the county.")}
        )
    services.escalation_policy_update(
        actor=user,
        county=county,
        steps=[step.model_dump() for step in payload.steps],
        repeat_seconds=payload.repeat_seconds,
        desk_phone=payload.desk_phone,
        desk_email=payload.desk_email,
        desk_users=staff,
        sms_number=payload.sms_number,
    )
    return _policy(county)


# ---- the SMS gateway's webhook --------------------------------------------------------------


class SmsSignature(APIKeyHeader):
    """`X-Signature: sha256=<HMAC-SHA256 of the raw body under CARE365_SMS_WEBHOOK_SECRET, hex>`,
    checked before the body is read: a request without it answers 401, a wrong one 403."""

    param_name = SIGNATURE_HEADER

    def authenticate(self, request: HttpRequest, key: str | None) -> bool:
        if not key:
            raise AuthenticationError(
                message=_("Sign the request: send X-Signature with the body's HMAC-SHA256.")
            )
        if not services.sms_signature_valid(body=request.body, signature=key):
            raise HttpError(403, "signature")
        return True


@router.post(
    "/sms/inbound",
    auth=SmsSignature(),
    response=responses(200, SmsOut),
    operation_id="sms_inbound",
    summary="An SMS to the county's number (the gateway's webhook)",
)
def sms_inbound(request: HttpRequest, payload: SmsIn) -> dict[str, Any]:
    """From a registered entrusted carer's phone: an alert for each of their children, in each
    child's county (or a "raised again" step on one still open from the last 30 minutes). From an
    unknown number: an alert for the duty desk of the county whose SMS help number `to` is (the
    installation's one county when it has one), which keeps the number to call back. A message
    the gateway delivers again (the same `id`) changes nothing and gets the first delivery's
    answer."""
    alerts = services.alert_raise_from_sms(
        phone=payload.sender, text=payload.text, message_id=payload.id, to=payload.to
    )
    return {"received": payload.id, "alerts": len(alerts)}


# ---- health ---------------------------------------------------------------------------------


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
    except Exception:  # any failure to reach the database is what this reports
        return False
    return bool(row) and row[0] == 1


@router.get(
    "/health",
    auth=None,
    response={**responses(200, HealthCheckOut), 503: HealthCheckOut},
    operation_id="health_check",
    summary="Whether the database answers and a worker is sweeping",
)
def health_check(request: HttpRequest) -> Status[dict[str, Any]]:
    """No sign-in needed (for a load balancer or a monitor). 503 when the database does not
    answer, or when no worker has swept escalation deadlines for more than 30 seconds: alerts
    would then not escalate."""
    if not _database_ok():
        return Status(
            503, {"database": "unavailable", "sweeper": "silent", "sweeper_last_seen": None}
        )
    now = timezone.now()
    healthy = selectors.sweeper_healthy(now)
    last_seen = selectors.sweeper_last_seen()
    body = {
        "database": "ok",
        "sweeper": "ok" if healthy else "silent",
        "sweeper_last_seen": last_seen,
    }
    return Status(200 if healthy else 503, body)
