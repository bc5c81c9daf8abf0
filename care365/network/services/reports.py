"""Open mandatory reporting: the public page's report, the status look-up by receipt, and the
director's registration task (docs/network.md).

A report is written in one transaction with the alert it raises through protection's escalation
(`protection.services.alerts.raise_alert`, as the family's help link and the SMS intake raise
theirs): the police covering the village hear of it at once, whether the child has a paired
officer or is not registered at all, and the county's ladder, duty desk and outbox take it from
there. Nothing is half-written: invalid input is refused before anything is stored, and an error
while storing rolls the whole report back, alert included.

Rate limits (per address, per phone) are counted in the database (`ReportAttempt`): Django's
cache in this project is per process, and a count must hold across every app process. As the
sign-in throttle does, an attempt writes its row before counting the others, so of any number of
simultaneous submissions at most the allowed number get through.
"""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.core import crypto
from care365.core.audit import audit
from care365.core.errors import StateConflictError
from care365.core.models import Notice
from care365.core.phones import InvalidPhone, check_phone
from care365.core.validators import PHONE_ERROR
from care365.network.access import registration_tasks_for_user
from care365.network.models import (
    ALERT_KIND,
    NAME_MAX,
    SEEN_MAX,
    WHERE_MAX,
    MandatoryReport,
    RegistrationTask,
    ReportAttempt,
    ReporterRole,
    Situation,
)
from care365.protection.models import Source, State
from care365.protection.services.alerts import NOTE_MAX, raise_alert
from care365.protection.services.steps import county_id_of
from care365.registry.models import Child

logger = logging.getLogger("care365.network")

# Receipt numbers: 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), random
# (31^10, about 8 * 10^14), never sequential.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 10
WINDOW = timedelta(hours=1)
# A registered child matches a report by name in the village, and by age within this many years
# when the reporter gave one.
AGE_SLACK = 2
AGE_MAX = 17


class ReportThrottledError(ValidationError):
    """Too many reports (or look-ups) from one address or for one phone within the hour. A
    ValidationError, so the page shows it like any other; it still points to 110."""

    def __init__(self, minutes: int, *, lookup: bool = False) -> None:
        self.minutes = minutes
        if lookup:
            message = ngettext(
                "Too many look-ups from this connection. Try again in %(minutes)d minute.",
                "Too many look-ups from this connection. Try again in %(minutes)d minutes.",
                minutes,
            )
        else:
            message = ngettext(
                "Too many reports from this connection or this phone in the last hour. Try "
                "again in %(minutes)d minute. If a child is in danger now, call 110.",
                "Too many reports from this connection or this phone in the last hour. Try "
                "again in %(minutes)d minutes. If a child is in danger now, call 110.",
                minutes,
            )
        super().__init__(message % {"minutes": minutes}, code="throttled")


def throttle_key(kind: str, value: str) -> str:
    """A keyed hash of an address or a phone for the rate limit (never stored in clear)."""
    return salted_hmac("care365.network.throttle", f"{kind}:{value}").hexdigest()


def _attempt(
    kind: str, *, ip: str, phone: str, limits: list[tuple[str, int]], now: datetime
) -> ReportAttempt:
    """Write this attempt, then count: refused (ReportThrottledError) when the attempts of the
    last hour by the same address or phone, this one included, exceed their limit. Written in
    its own autocommit statement, so other processes count it at once."""
    ReportAttempt.objects.filter(at__lt=now - WINDOW).delete()
    row = ReportAttempt.objects.create(
        kind=kind,
        at=now,
        ip_key=throttle_key("ip", ip),
        phone_key=throttle_key("phone", phone) if phone else "",
    )
    for field, limit in limits:
        key = getattr(row, field)
        if not key or limit <= 0:
            continue
        recent = ReportAttempt.objects.filter(kind=kind, at__gte=now - WINDOW, **{field: key})
        if recent.count() > limit:
            oldest = recent.exclude(pk=row.pk).order_by("at").values_list("at", flat=True).first()
            row.delete()
            wait = ((oldest or now) + WINDOW - now).total_seconds()
            raise ReportThrottledError(max(1, math.ceil(wait / 60)), lookup=kind == "lookup")
    return row


def _receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def normalise_receipt(text: str) -> str:
    """A receipt as typed: case, spaces and dashes do not matter."""
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())[:RECEIPT_LENGTH]


@dataclass(frozen=True)
class _Fields:
    village: Area
    reporter_name: str
    reporter_phone: str
    reporter_role: str
    child_name: str
    child_age: int | None
    child_where: str
    situation: str
    what_seen: str


def _clean(
    *,
    village_id: int | str | None,
    reporter_name: str,
    reporter_phone: str,
    reporter_role: str,
    child_name: str,
    child_age: int | str | None,
    child_where: str,
    situation: str,
    what_seen: str,
) -> _Fields:
    """Every field checked, every error collected (keyed by field, in the user's language)."""
    errors: dict[str, str] = {}
    village = None
    try:
        village = Area.objects.select_related("parent").get(
            pk=int(village_id or 0), level=Area.Level.VILLAGE
        )
    except (Area.DoesNotExist, TypeError, ValueError):
        errors["village"] = _("Choose the child's village.")
    name = " ".join(reporter_name.split())
    if not name:
        errors["reporter_name"] = _("Enter your name.")
    elif len(name) > NAME_MAX:
        errors["reporter_name"] = _("Keep your name under %(n)d characters.") % {"n": NAME_MAX}
    phone = ""
    try:
        phone = check_phone(reporter_phone)
    except InvalidPhone:
        errors["reporter_phone"] = str(PHONE_ERROR)
    if reporter_role not in ReporterRole.values:
        errors["reporter_role"] = _("Say who you are.")
    child = " ".join(child_name.split())
    where = " ".join(child_where.split())
    if len(child) > NAME_MAX:
        errors["child_name"] = _("Keep the name under %(n)d characters.") % {"n": NAME_MAX}
    if len(where) > WHERE_MAX:
        errors["child_where"] = _("Keep this under %(n)d characters.") % {"n": WHERE_MAX}
    if not child and not where:
        errors["child_where"] = _("Give the child's name or where the child can be found.")
    age: int | None = None
    if child_age not in (None, ""):
        try:
            age = int(str(child_age).strip())
        except ValueError:
            age = -1
        if not 0 <= age <= AGE_MAX:
            errors["child_age"] = _("Enter an age from 0 to %(n)d, or leave it empty.") % {
                "n": AGE_MAX
            }
    if situation not in Situation.values:
        errors["situation"] = _("Choose what is happening to the child.")
    seen = what_seen.strip()
    if not seen:
        errors["what_seen"] = _("Say what you saw or heard.")
    elif len(seen) > SEEN_MAX:
        errors["what_seen"] = _("Keep this under %(n)d characters.") % {"n": SEEN_MAX}
    if errors or village is None:
        raise ValidationError(errors)
    return _Fields(
        village=village,
        reporter_name=name,
        reporter_phone=phone,
        reporter_role=reporter_role,
        child_name=child,
        child_age=age,
        child_where=where,
        situation=situation,
        what_seen=seen,
    )


def _matches(village: Area, name: str, age: int | None, now: datetime) -> list[Child]:
    """The village's active children of that name (and about that age, if given)."""
    if not name:
        return []
    today = timezone.localdate(now)
    found = list(
        Child.objects.filter(village=village, exited_on__isnull=True, name=name).order_by("pk")[:20]
    )
    if age is not None:
        found = [c for c in found if abs(c.age_on(today) - age) <= AGE_SLACK]
    return found


def _alert_note(fields: _Fields) -> str:
    """What the responders read on the alert: the child as described and what was seen, never
    who reported it."""
    situation = Situation(fields.situation).label
    described = [fields.child_name or _("name not known")]
    if fields.child_age is not None:
        described.append(_("about %(age)d years old") % {"age": fields.child_age})
    if fields.child_where:
        described.append(fields.child_where)
    lines = [
        _("Public mandatory report: %(situation)s") % {"situation": situation},
        _("The child: %(described)s") % {"described": ", ".join(described)},
        _("Seen: %(seen)s") % {"seen": fields.what_seen},
    ]
    return "\n".join(lines)[:NOTE_MAX]


def mandatory_report_submit(
    *,
    village_id: int | str | None,
    reporter_name: str,
    reporter_phone: str,
    reporter_role: str,
    child_name: str = "",
    child_age: int | str | None = None,
    child_where: str = "",
    situation: str,
    what_seen: str,
    client_ip: str,
    now: datetime | None = None,
) -> MandatoryReport:
    """A report from the public page (no sign-in). Checks every field (ValidationError keyed by
    field), counts the attempt against the rate limits (ReportThrottledError), then in one
    transaction: stores the report (reporter's name and phone encrypted), raises its alert
    through the county's escalation, so the police covering the village are told at once, and,
    when no single registered child of the village matches, opens a registration task for the
    village's children's director. Returns the report; its `receipt` is for the reporter."""
    now = now or timezone.now()
    fields = _clean(
        village_id=village_id,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        reporter_role=reporter_role,
        child_name=child_name,
        child_age=child_age,
        child_where=child_where,
        situation=situation,
        what_seen=what_seen,
    )
    attempt = _attempt(
        ReportAttempt.Kind.REPORT,
        ip=client_ip,
        phone=fields.reporter_phone,
        limits=[
            ("ip_key", settings.REPORTS_PER_HOUR_PER_IP),
            ("phone_key", settings.REPORTS_PER_HOUR_PER_PHONE),
        ],
        now=now,
    )
    try:
        report = _store(fields, now)
    except BaseException:
        attempt.delete()  # an error is not an abuse of the page
        raise
    logger.info("mandatory report #%s: alert #%s", report.pk, report.alert_id)
    return report


def _store(fields: _Fields, now: datetime) -> MandatoryReport:
    """The report, its alert and its task, in one transaction, under a fresh receipt (drawn
    again in the unlikely case it is taken: 31^10 numbers; the unique constraint holds anyway)."""
    receipt = _receipt()
    while MandatoryReport.objects.filter(receipt=receipt).exists():
        receipt = _receipt()
    village = fields.village
    with transaction.atomic():
        county_id = county_id_of(village)
        matches = _matches(village, fields.child_name, fields.child_age, now)
        child = matches[0] if len(matches) == 1 else None
        alert = raise_alert(
            child=child,
            county_id=county_id,
            kind=ALERT_KIND[fields.situation],
            note=_alert_note(fields),
            source=Source.REPORT,
            raised_by=None,
            now=now,
            village=village,
        )
        report = MandatoryReport.objects.create(
            receipt=receipt,
            county_id=county_id,
            village=village,
            reporter_name=fields.reporter_name,
            reporter_phone=fields.reporter_phone,
            reporter_role=fields.reporter_role,
            child_name=fields.child_name,
            child_age=fields.child_age,
            child_where=fields.child_where,
            situation=fields.situation,
            what_seen=fields.what_seen,
            child=child,
            alert=alert,
            created_at=now,
        )
        audit(actor=None, action="mandatory_report_submit", obj=report, note=fields.situation)
        if child is None:
            _open_registration_task(
                report,
                kind=RegistrationTask.Kind.IDENTIFY if matches else RegistrationTask.Kind.REGISTER,
                now=now,
            )
    return report


def _open_registration_task(report: MandatoryReport, *, kind: str, now: datetime) -> None:
    """The village's children's director finds the child and registers them; with no director,
    the task stays unassigned and the township supervisor and county administrators see it."""
    director = (
        User.objects.filter(is_active=True, role=Role.DIRECTOR, area_id=report.village_id)
        .order_by("pk")
        .first()
    )
    task = RegistrationTask.objects.create(
        report=report,
        village_id=report.village_id,
        kind=kind,
        assignee=director,
        created_at=now,
        due_on=timezone.localdate(now) + timedelta(days=settings.REGISTRATION_TASK_DAYS),
    )
    if director is not None:
        Notice.objects.create(
            recipient=director,
            kind="registration_task",
            params={"report": report.pk, "task": task.pk, "kind": kind},
            link=f"/mandatory-reports/{report.pk}/",
        )
    audit(actor=None, action="registration_task_open", obj=task, note=kind)


# The status a reporter sees: the alert's state, in four words.
RECEIVED, ACKNOWLEDGED, ON_THE_WAY, CLOSED = "received", "acknowledged", "on_the_way", "closed"
STATUS_OF_STATE: dict[str, str] = {
    State.OPEN: RECEIVED,
    State.ACKNOWLEDGED: ACKNOWLEDGED,
    State.ON_THE_WAY: ON_THE_WAY,
    State.WITH_CHILD: ON_THE_WAY,
    State.RESOLVED: CLOSED,
}


def receipt_lookup(*, receipt: str, phone: str, client_ip: str, now: datetime | None = None) -> str:
    """The status of the reporter's report (received, acknowledged, on_the_way, closed) for
    its receipt number and the phone given with it; "" when they do not match, the same for a
    wrong receipt and a wrong phone. Nothing about the child or who handles it. Rate-limited
    per address (ReportThrottledError), so receipts cannot be guessed."""
    now = now or timezone.now()
    _attempt(
        ReportAttempt.Kind.LOOKUP,
        ip=client_ip,
        phone="",
        limits=[("ip_key", settings.REPORT_LOOKUPS_PER_HOUR_PER_IP)],
        now=now,
    )
    code = normalise_receipt(receipt)
    digest = crypto.phone_hash(phone) or ""
    row = (
        MandatoryReport.objects.filter(receipt=code)
        .values_list("reporter_phone_hash", "alert__state")
        .first()
    )
    if row is None or not digest or not constant_time_compare(row[0] or "", digest):
        return ""
    return STATUS_OF_STATE.get(row[1], RECEIVED)


@transaction.atomic
def registration_task_done(
    *, actor: User, task: RegistrationTask, note: str = "", now: datetime | None = None
) -> RegistrationTask:
    """Close a registration task (the child found and registered, or why not): whoever it is
    for (the village's director, the township's supervisor, the county's administrators)."""
    if not registration_tasks_for_user(actor).filter(pk=task.pk).exists():
        raise PermissionDenied
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {"note": _("Keep the note under %(n)d characters.") % {"n": NOTE_MAX}}
        )
    now = now or timezone.now()
    done = RegistrationTask.objects.filter(pk=task.pk, state=RegistrationTask.State.OPEN).update(
        state=RegistrationTask.State.DONE, done_at=now, done_by=actor, note=note
    )
    if not done:
        raise StateConflictError(_("This task is already done."))
    task.refresh_from_db()
    audit(actor=actor, action="registration_task_done", obj=task, changes=["state", "note"])
    return task
