"""Reads of alerts for pages, the API, the event stream and reports.

Who sees an alert (DESIGN.md, "Who sees what"):
- county administrators, township supervisors, village directors and police officers: the alerts
  of the children in their scope (`children_for_user`); county administrators also the alerts in
  their county that have no child (an SMS from an unknown number, for the duty desk);
- anyone an alert was sent to (the station's duty officer, the desk): that alert;
- anyone who raised an alert: that alert and its status. Doctors and volunteers see no other
  alerts: their role does not include the child's safety record.
Who raised a mandatory report (强制报告) is shown only to county administrators (and to the
reporter): `alert_reporter_for_user` and `alert_timeline` take care of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from care365.accounts.models import Role, User
from care365.accounts.visibility import child_row
from care365.areas.models import Area
from care365.pairing.models import Pairing
from care365.pairing.selectors import child_team
from care365.protection.access import (
    OPEN,
    Written,
    _county_admin_of,
    active_account,
    alerts_for_user,
)
from care365.protection.channels import mask_address
from care365.protection.models import (
    Alert,
    AlertEvent,
    FollowUpTask,
    Notification,
    State,
    Who,
)
from care365.protection.policy import PolicyError, parse
from care365.registry.models import Child, Guardian, Parent


def alerts_open_for_user(user: User, *, area: Area | None = None) -> QuerySet[Alert]:
    """The live board: unresolved alerts the user may see, newest first; `area` narrows it to
    a township's or village's children."""
    alerts = alerts_for_user(user).filter(OPEN)
    if area is not None:
        alerts = alerts.filter(village__code__startswith=area.code)
    return alerts.select_related(
        "child", "child__village", "village", "village__parent", "assigned_officer"
    ).order_by("-raised_at", "-pk")


def alerts_open_count_for_user(user: User) -> int:
    """How many unresolved alerts the user may see (the navigation's badge): one COUNT."""
    return alerts_for_user(user).filter(OPEN).count()


def child_open_alerts(user: User, child: Child) -> list[Alert]:
    """The child's unresolved alerts that the user may see (the child's page), newest first."""
    return list(alerts_for_user(user).filter(OPEN, child=child).order_by("-raised_at", "-pk")[:5])


def alerts_resolved_for_user(user: User, *, since: datetime) -> QuerySet[Alert]:
    """Alerts the user may see that were resolved since `since`, newest first, with their
    outcome and note (the board's "recently resolved")."""
    return (
        alerts_for_user(user)
        .filter(state=State.RESOLVED, resolved_at__gte=since)
        .select_related("child", "child__village", "village", "assigned_officer")
        .order_by("-resolved_at", "-pk")
    )


def _reporter_visible(account: User | None, alert: Alert) -> bool:
    """Whether the user may know who raised the alert (reads nothing)."""
    if account is None or alert.raised_by_id is None:
        return False
    return not (
        alert.is_mandatory_report
        and not _county_admin_of(account, alert.county_id)
        and account.pk != alert.raised_by_id
    )


def alert_reporter_for_user(user: User, alert: Alert) -> User | None:
    """Who raised the alert, if the user may know: for a mandatory report only the county's
    administrators (and the reporter); for other alerts anyone who sees the alert."""
    if not _reporter_visible(active_account(user), alert):
        return None
    return alert.raised_by


@dataclass(frozen=True)
class AlertRow:
    """One line of an alerts list as the viewer may see it: the child (`child_row`: the name
    only to those whose role sees it; None for an SMS from an unknown number), and who has the
    alert: `answered_by`, who answered it last (acknowledged, on the way, with the child), by
    name; while nobody has, `officer`, the child's paired officer when it was raised, and
    `told`, who the step that fired last is telling (its label; "" for the paired officer)."""

    alert: Alert
    child: dict[str, Any] | None
    answered_by: str
    officer: str
    told: str


def _last_answer(alert: Alert) -> int | None:
    """The user who answered the alert last (with the child, on the way, acknowledged)."""
    for at, by in (
        (alert.with_child_at, alert.with_child_by_id),
        (alert.on_the_way_at, alert.on_the_way_by_id),
        (alert.acknowledged_at, alert.acknowledged_by_id),
    ):
        if at is not None and by is not None:
            return by
    return None


def _told(alert: Alert) -> str:
    """The label of who the step that fired last tells ("" for the paired officer)."""
    try:
        who = parse(alert.policy).step_at(alert.level).who
    except (PolicyError, ValueError, IndexError):
        return ""
    if who == Who.ASSIGNED_OFFICER and alert.assigned_officer_id is not None:
        return ""
    return str(Who(who).label) if who in Who.values else ""


def alert_rows(user: User, alerts: list[Alert], *, today: date | None = None) -> list[AlertRow]:
    """The lines of a list of alerts the user may see (from `alerts_open_for_user` or
    `alerts_resolved_for_user`, which load the child, the village and the officer): one query
    more, for the people who answered, when anyone has."""
    account = active_account(user)
    today = today or timezone.localdate()
    answerers = {a.pk: _last_answer(a) for a in alerts}
    wanted = {pk for pk in answerers.values() if pk is not None}
    people = User.objects.select_related("carer", "area").in_bulk(wanted) if wanted else {}
    rows = []
    for alert in alerts:
        by = answerers[alert.pk]
        # Someone who raised a mandatory report and later answered it is still its reporter.
        hidden = by == alert.raised_by_id and not _reporter_visible(account, alert)
        person = people.get(by) if by is not None and not hidden else None
        officer = alert.assigned_officer
        rows.append(
            AlertRow(
                alert=alert,
                child=child_row(alert.child, user, today=today) if alert.child else None,
                answered_by=person.display_name if person is not None else "",
                officer=officer.name if officer is not None else "",
                told="" if by is not None else _told(alert),
            )
        )
    return rows


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str
    level: int | None
    due_at: datetime | None
    actor: User | None  # None also when the viewer may not know who it was
    data: dict[str, Any]


@dataclass(frozen=True)
class TimelineNotification:
    id: int
    level: int
    channel: str
    recipient: User | None
    address: str  # masked
    state: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str


@dataclass(frozen=True)
class AlertTimeline:
    events: list[TimelineEvent]
    notifications: list[TimelineNotification]


def _timeline_rows(alert: Alert, written: Written | None) -> Written:
    """The alert's recorded steps in time order and its notifications by level, with their
    people loaded: as the raising service wrote them (`Alert.written`), or read."""
    if written is None:
        return (
            list(
                AlertEvent.objects.filter(alert=alert)
                .select_related("actor", "actor__carer", "actor__area")
                .order_by("at", "pk")
            ),
            list(
                Notification.objects.filter(alert=alert)
                .select_related("recipient", "recipient__carer", "recipient__area")
                .order_by("level", "pk")
            ),
        )
    events = sorted(written[0], key=lambda e: (e.at, e.pk or 0))
    notifications = sorted(written[1], key=lambda n: (n.level, n.pk or 0))
    people: dict[int, User] = {}
    if alert.raised_by is not None:
        people[alert.raised_by.pk] = alert.raised_by
    wanted = {e.actor_id for e in events} | {n.recipient_id for n in notifications}
    missing = {pk for pk in wanted if pk is not None and pk not in people}
    if missing:
        people.update(User.objects.select_related("carer", "area").in_bulk(missing))
    for e in events:
        e.actor = people.get(e.actor_id) if e.actor_id is not None else None
    for n in notifications:
        n.recipient = people.get(n.recipient_id) if n.recipient_id is not None else None
    return events, notifications


def alert_timeline(user: User, alert: Alert, *, written: Written | None = None) -> AlertTimeline:
    """The incident record: every step with its time, and every notification with its state.
    Call with an alert from `alert_get_for_user`, or with one its raising service has just
    returned and `written=alert.written` (what it wrote: nothing is read back). The reporter of
    a mandatory report is left out for everyone but the county's administrators and the
    reporter."""
    reporter_visible = _reporter_visible(active_account(user), alert)
    event_rows, notification_rows = _timeline_rows(alert, written)
    events = [
        TimelineEvent(
            at=e.at,
            kind=e.kind,
            level=e.level,
            due_at=e.due_at,
            actor=(
                None
                if e.kind == AlertEvent.Kind.RAISED
                and alert.is_mandatory_report
                and not reporter_visible
                else e.actor
            ),
            data=e.data,
        )
        for e in event_rows
    ]
    notifications = [
        TimelineNotification(
            id=n.pk,
            level=n.level,
            channel=n.channel,
            recipient=n.recipient,
            address=mask_address(n.channel, n.address),
            state=n.state,
            attempts=n.attempts,
            created_at=n.created_at,
            sent_at=n.sent_at,
            last_error=n.last_error,
        )
        for n in notification_rows
    ]
    return AlertTimeline(events=events, notifications=notifications)


@dataclass(frozen=True)
class SafetyCard:
    """What a responder needs to reach the child. The page renders it through the visibility
    layer; for an SMS from an unknown number, only the sender's number is known."""

    alert_id: int
    child_id: int | None
    child_name: str
    age: int | None
    village: str
    township: str
    address: str
    guardian: Guardian | None
    parents: list[Parent]
    team: list[Pairing]
    sender_phone: str


def _guardian(child: Child) -> Guardian | None:
    """The child's entrusted carer: the one loaded with the child (the access layer selects it),
    or read now."""
    try:
        return child.guardian
    except Guardian.DoesNotExist:
        return None


def safety_card(alert: Alert, *, today: date | None = None) -> SafetyCard:
    """The safety card of an alert from `alert_get_for_user`: village and address, the entrusted
    carer's and the parents' phones, the pairing team."""
    child = alert.child
    if child is None:
        # A public report of a child the registry does not know names the village it is about.
        place = alert.village
        return SafetyCard(
            alert_id=alert.pk,
            child_id=None,
            child_name="",
            age=None,
            village=place.name if place is not None else "",
            township=place.parent.name if place is not None and place.parent else "",
            address="",
            guardian=None,
            parents=[],
            team=[],
            sender_phone=alert.sender_phone,
        )
    village = child.village
    return SafetyCard(
        alert_id=alert.pk,
        child_id=child.pk,
        child_name=child.name,
        age=child.age_on(today or timezone.localdate()),
        village=village.name,
        township=village.parent.name if village.parent else "",
        address=child.address,
        guardian=_guardian(child),
        parents=list(Parent.objects.filter(child=child).order_by("role")),
        team=child_team(child),
        sender_phone="",
    )


# What a follow-up task asks of whom (a mandatory report opens one for the child's village
# director and one for the township supervisor).
FOLLOW_UP_WHAT: dict[str, Promise] = {
    Role.DIRECTOR: _(
        "Visit the child and the entrusted carer after the report, see that the child is safe "
        "and cared for, and record the visit."
    ),
    Role.SUPERVISOR: _(
        "Check that the village follows the report up and that the child is safe; help where "
        "the village cannot."
    ),
}


@dataclass(frozen=True)
class FollowUpRow:
    """One follow-up task as a line: its child (`child_row`), who it is for (`role`, and
    `assigned` when somebody holds the role; `name`, their name when Care365 has it) and what
    it asks (`what`)."""

    task: FollowUpTask
    child: dict[str, Any]
    role: str
    assigned: bool
    name: str
    what: str


def follow_up_rows(user: User, tasks: list[FollowUpTask]) -> list[FollowUpRow]:
    """The lines of follow-up tasks from `follow_ups_for_user`."""
    account = active_account(user)
    if account is None:
        return []
    today = timezone.localdate()
    return [
        FollowUpRow(
            task=t,
            child=child_row(t.child, account, today=today),
            role=str(Role(t.role).label) if t.role in Role.values else t.role,
            assigned=t.assignee is not None,
            name=t.assignee.personal_name if t.assignee is not None else "",
            what=str(FOLLOW_UP_WHAT[t.role]) if t.role in FOLLOW_UP_WHAT else "",
        )
        for t in tasks
    ]


def follow_ups_for_user(user: User, *, open_only: bool = True) -> QuerySet[FollowUpTask]:
    """Follow-up tasks of mandatory reports: the user's own, and for a county administrator
    every task in the county (unassigned ones included)."""
    account = active_account(user)
    if account is None:
        return FollowUpTask.objects.none()
    mine = Q(assignee=account)
    if account.role == Role.COUNTY_ADMIN and account.area_id is not None:
        mine |= Q(alert__county_id=account.area_id)
    tasks = FollowUpTask.objects.filter(mine)
    if open_only:
        tasks = tasks.filter(state=FollowUpTask.State.OPEN)
    return tasks.select_related(
        "alert", "child", "child__village", "assignee", "assignee__carer", "assignee__area"
    ).order_by("created_at", "pk")
