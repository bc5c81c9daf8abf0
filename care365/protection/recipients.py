"""Who an escalation step reaches, and how (a user in the app, an email address, a phone).

- assigned officer: the officer of the child's open police pairing when the alert was raised;
- station duty officer: the officers on a duty shift now at the assigned officer's station (or,
  for a child without an officer, at the stations that cover the child's village: a station in
  the village or its township, or one whose officers serve the village or its township); a
  station with nobody on shift reaches all its active officers who have an account, and only a
  station with none of those is reached on its duty phone;
- township supervisor and village director: the active users with those roles for the child's
  township and village;
- county duty desk: the policy's desk users (the county's administrators when none are named),
  its desk phone and desk email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.carers.models import Carer, CarerRole, Organisation
from care365.protection import policy
from care365.protection.models import Alert, DutyShift, EscalationPolicy, ResponderContact


@dataclass(frozen=True)
class Target:
    """One person or desk to notify; any of the three ways may be missing."""

    user_id: int | None = None
    email: str = ""
    phone: str = ""


def _user_targets(users: list[User]) -> list[Target]:
    """Targets for users: officers' phones from their carer record, others' from their
    responder contact."""
    contacts = {
        c.user_id: c.phone
        for c in ResponderContact.objects.filter(user_id__in=[u.pk for u in users if not u.carer])
    }
    return [
        Target(
            user_id=u.pk,
            email=u.email,
            phone=(u.carer.phone if u.carer else contacts.get(u.pk, "")),
        )
        for u in users
    ]


def _carer_targets(carer_ids: list[int]) -> list[Target]:
    """Officers by carer id: as users where they have an active account, else on their phone
    (one query: a carer has at most one account)."""
    rows = (
        Carer.objects.filter(pk__in=carer_ids, active=True)
        .order_by("pk")
        .values_list("pk", "phone", "user__pk", "user__email", "user__is_active")
    )
    targets: list[Target] = []
    for _carer_id, phone, user_id, email, user_active in rows:
        if user_id is not None and user_active:
            targets.append(Target(user_id=user_id, email=email, phone=phone))
        elif phone:
            targets.append(Target(phone=phone))
    return targets


def stations_of(alert: Alert) -> list[Organisation]:
    officer = alert.assigned_officer
    if officer is not None and officer.organisation.kind == Organisation.Kind.POLICE_STATION:
        return [officer.organisation]
    if alert.village is None:
        return []
    return stations_covering(alert.village)


def stations_covering(village: Area) -> list[Organisation]:
    """The police stations that cover a village: those in the village or its township, and
    those whose active officers serve the village or its township."""
    areas = [village.pk] + ([village.parent_id] if village.parent_id else [])
    serving = Carer.objects.filter(
        role=CarerRole.POLICE, active=True, service_areas__in=areas
    ).values("organisation_id")
    return list(
        Organisation.objects.filter(kind=Organisation.Kind.POLICE_STATION)
        .filter(Q(area_id__in=areas) | Q(pk__in=serving))
        .order_by("pk")
    )


def _station_officers(station: Organisation) -> list[Target]:
    """A station with nobody on shift: all its active officers with an active account."""
    rows = (
        Carer.objects.filter(
            organisation=station,
            role=CarerRole.POLICE,
            active=True,
            user__isnull=False,
            user__is_active=True,
        )
        .order_by("pk")
        .values_list("phone", "user__pk", "user__email")
    )
    return [Target(user_id=user_id, email=email, phone=phone) for phone, user_id, email in rows]


def targets_for(
    alert: Alert, who: str, *, now: datetime, desk: EscalationPolicy | None
) -> list[Target]:
    """The targets of the step `who` for this alert, at `now`."""
    if who == policy.ASSIGNED_OFFICER:
        return _carer_targets([alert.assigned_officer_id]) if alert.assigned_officer_id else []
    if who == policy.STATION_DUTY_OFFICER:
        targets: list[Target] = []
        for station in stations_of(alert):
            on_duty = list(
                DutyShift.objects.filter(
                    station=station, starts_at__lte=now, ends_at__gt=now
                ).values_list("officer_id", flat=True)
            )
            found = _carer_targets(on_duty) if on_duty else []
            if not found:
                found = _station_officers(station)
            if not found and station.phone:
                found = [Target(phone=station.phone)]
            targets.extend(found)
        return targets
    if who == policy.TOWNSHIP_SUPERVISOR_AND_DIRECTOR:
        village: Area | None = alert.village
        if village is None:
            return []
        users = list(
            User.objects.filter(is_active=True)
            .filter(
                Q(role=Role.SUPERVISOR, area_id=village.parent_id)
                | Q(role=Role.DIRECTOR, area_id=village.pk)
            )
            .select_related("carer")
            .order_by("pk")
        )
        return _user_targets(users)
    if who == policy.COUNTY_DUTY_DESK:
        desk_users = list(desk.desk_users.filter(is_active=True).order_by("pk")) if desk else []
        if not desk_users:
            desk_users = list(
                User.objects.filter(
                    is_active=True, role=Role.COUNTY_ADMIN, area_id=alert.county_id
                ).order_by("pk")
            )
        targets = _user_targets(desk_users)
        if desk is not None and desk.desk_phone:
            targets.append(Target(phone=desk.desk_phone))
        if desk is not None and desk.desk_email:
            targets.append(Target(email=desk.desk_email))
        return targets
    raise ValueError(f"unknown step {who!r}")


def _station_key(alert: Alert) -> tuple[str, int | None]:
    officer = alert.assigned_officer
    if officer is not None and officer.organisation.kind == Organisation.Kind.POLICE_STATION:
        return ("station", officer.organisation_id)
    return ("village", alert.village_id)


class Recipients:
    """The targets of steps at one moment, each looked up once: a sweep that fires the steps of
    many alerts asks the database once per officer, station, village and county, not per alert.
    Use one per transaction (duty shifts and accounts are read as they are at `now`)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._found: dict[tuple[object, ...], list[Target]] = {}

    def targets(self, alert: Alert, who: str, *, desk: EscalationPolicy | None) -> list[Target]:
        if who == policy.ASSIGNED_OFFICER:
            key: tuple[object, ...] = (who, alert.assigned_officer_id)
        elif who == policy.STATION_DUTY_OFFICER:
            key = (who, *_station_key(alert))
        elif who == policy.TOWNSHIP_SUPERVISOR_AND_DIRECTOR:
            key = (who, alert.village_id)
        else:
            key = (who, alert.county_id, desk.pk if desk is not None else None)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = targets_for(alert, who, now=self.now, desk=desk)
        return found
