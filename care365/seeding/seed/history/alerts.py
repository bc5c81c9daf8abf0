"""A year of alerts: raised by directors, volunteers and officers on their pages, by families
with the help link or by SMS, and by screenings with a self-harm answer; each acknowledged, on
the way, with the child and resolved at realistic times, escalated where nobody answered within
the county's policy, with the follow-ups of mandatory reports done. A few are still open: they
are raised (and answered) through protection's own services, so their escalation and
notifications are real."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count

from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.care.models import Screening
from care365.carers.models import CarerRole
from care365.protection import policy
from care365.protection.models import (
    MANDATORY_REPORT_KINDS,
    Alert,
    AlertEvent,
    FollowUpTask,
    Kind,
    Resolution,
    Source,
    State,
)
from care365.protection.services import (
    alert_acknowledge,
    alert_on_the_way,
    alert_raise,
    alert_with_child,
)
from care365.protection.services.steps import policy_for
from care365.registry.models import Child
from care365.seeding.seed.history import texts
from care365.seeding.seed.history.care import CareWriter, Kid
from care365.seeding.seed.writers import rows_update

ALERT_SHARE = 0.013  # children with an alert in a year (besides screenings' self-harm alerts)
KINDS = (
    (Kind.HELP_REQUEST, 30),
    (Kind.DANGER, 15),
    (Kind.INJURY, 15),
    (Kind.MISSING, 8),
    (Kind.SUSPECTED_ABUSE, 7),
    (Kind.ABANDONMENT, 5),
    (Kind.ALONE_UNDER_16, 5),
    (Kind.OTHER, 15),
)
RESOLUTIONS = (
    (Resolution.SAFE, 55),
    (Resolution.REFERRED, 20),
    (Resolution.POLICE_CASE, 8),
    (Resolution.FALSE_ALARM, 17),
)


class AlertWriter:
    def __init__(self, care: CareWriter, county: Area) -> None:
        self.care = care
        self.rng: random.Random = care.rng
        self.county = county
        pol, _desk = policy_for(county.pk)
        self.policy = pol
        self.policy_json = policy.to_dict(pol)
        self.alerts: list[Alert] = []
        self.events: list[list[AlertEvent]] = []
        self.follow_ups: list[list[FollowUpTask]] = []

    def history(self, kids: list[Kid]) -> int:
        rng = self.rng
        kinds = [k for k, _ in KINDS]
        weights = [w for _, w in KINDS]
        count = round(ALERT_SHARE * len(kids))
        for kid in rng.sample(kids, min(count, len(kids))):
            first, last = self.care.first_day(kid), self.care.last_day(kid)
            day = self.care.window.day(rng, first, last)
            if not first <= day <= last:
                continue
            hour = rng.choices(range(24), [1] * 6 + [3] * 4 + [4] * 8 + [5] * 4 + [2] * 2)[0]
            raised = self.care.moment(day, hour, hour + 1)
            kind = rng.choices(kinds, weights)[0]
            source = rng.choices((Source.WEB, Source.HELP_LINK, Source.SMS), (55, 30, 15))[0]
            raiser = None
            if source == Source.WEB or kind in MANDATORY_REPORT_KINDS:
                source = Source.WEB
                volunteer = kid.carer_on(CarerRole.VOLUNTEER, day)
                if volunteer is not None and rng.random() < 0.3:
                    raiser = volunteer.user
                else:
                    raiser = self.care.people.directors.get(kid.village)
            self.add(kid, kind, source, raiser, raised, rng.choice(texts.ALERT_NOTES[kind]))
        for screening_id, kid, at in self.care.wrote.self_harm:
            screening = Screening.objects.get(pk=screening_id)
            self.add(
                kid,
                Kind.SELF_HARM,
                Source.WEB,
                screening.entered_by_id,
                at,
                "",
                screening=screening_id,
            )
        return self.write()

    def add(
        self,
        kid: Kid,
        kind: str,
        source: str,
        raiser: int | None,
        raised: datetime,
        note: str,
        *,
        screening: int | None = None,
    ) -> None:
        rng = self.rng
        day = raised.date()
        officer = kid.carer_on(CarerRole.POLICE, day)
        supervisor = self.care.people.supervisors.get(kid.township)
        director = self.care.people.directors.get(kid.village)
        answerer = officer.user if officer is not None else supervisor
        # Seconds to the first answer: a minute or two most often, longer at night.
        delay = math.exp(rng.gauss(math.log(100), 0.8)) * (2 if raised.hour < 7 else 1)
        delay = max(15.0, min(delay, 3600.0))
        acknowledged = raised + timedelta(seconds=delay)
        events = [AlertEvent(kind=AlertEvent.Kind.RAISED, at=raised, level=0, actor_id=raiser)]
        level, deadline = 0, raised
        while level < self.policy.last:
            deadline = deadline + timedelta(seconds=self.policy.step_at(level).wait_seconds)
            if deadline >= acknowledged:
                break
            level += 1
            events.append(
                AlertEvent(
                    kind=AlertEvent.Kind.ESCALATED, at=deadline, level=level, due_at=deadline
                )
            )
        if officer is None:
            level = max(level, 1)
        resolution = rng.choices([r for r, _ in RESOLUTIONS], [w for _, w in RESOLUTIONS])[0]
        if kind == Kind.SELF_HARM:
            resolution = Resolution.REFERRED
        events.append(
            AlertEvent(
                kind=AlertEvent.Kind.ACKNOWLEDGED, at=acknowledged, level=level, actor_id=answerer
            )
        )
        at = acknowledged
        on_the_way = with_child = None
        if resolution != Resolution.FALSE_ALARM or rng.random() < 0.4:
            on_the_way = at = at + timedelta(seconds=rng.randrange(30, 360))
            events.append(
                AlertEvent(kind=AlertEvent.Kind.ON_THE_WAY, at=at, level=level, actor_id=answerer)
            )
            with_child = at = at + timedelta(minutes=rng.randrange(8, 45))
            events.append(
                AlertEvent(kind=AlertEvent.Kind.WITH_CHILD, at=at, level=level, actor_id=answerer)
            )
        resolved = at + timedelta(minutes=rng.randrange(10, 360))
        resolved = min(resolved, self.care.window.now - timedelta(minutes=5))
        note_done = rng.choice(texts.RESOLUTION_NOTES[resolution])
        events.append(
            AlertEvent(
                kind=AlertEvent.Kind.RESOLVED,
                at=resolved,
                level=level,
                actor_id=answerer,
                data={"note": note_done, "resolution": resolution},
            )
        )
        alert = Alert(
            child_id=kid.pk,
            county=self.county,
            village_id=kid.village,
            kind=kind,
            note=note,
            source=source,
            raised_by_id=raiser,
            raised_at=raised,
            assigned_officer_id=officer.carer if officer is not None else None,
            policy=self.policy_json,
            state=State.RESOLVED,
            level=level,
            acknowledged_at=acknowledged,
            acknowledged_by_id=answerer,
            on_the_way_at=on_the_way,
            on_the_way_by_id=answerer if on_the_way else None,
            with_child_at=with_child,
            with_child_by_id=answerer if with_child else None,
            resolved_at=resolved,
            resolved_by_id=answerer,
            resolution=resolution,
            resolution_note=note_done,
        )
        alert.screening_id = screening  # type: ignore[attr-defined]  # for write() below
        follow_ups = []
        if kind in MANDATORY_REPORT_KINDS:
            for role, user in ((Role.DIRECTOR, director), (Role.SUPERVISOR, supervisor)):
                done = raised + timedelta(days=rng.randrange(1, 10), hours=rng.randrange(8))
                finished = done < self.care.window.now
                follow_ups.append(
                    FollowUpTask(
                        child_id=kid.pk,
                        assignee_id=user,
                        role=role,
                        state=FollowUpTask.State.DONE if finished else FollowUpTask.State.OPEN,
                        created_at=raised,
                        done_at=done if finished else None,
                        done_by_id=user if finished else None,
                        note=texts.HOME_NOTES[0] if finished else "",
                    )
                )
        self.alerts.append(alert)
        self.events.append(events)
        self.follow_ups.append(follow_ups)

    def write(self) -> int:
        created = Alert.objects.bulk_create(self.alerts, batch_size=1000)
        events: list[AlertEvent] = []
        tasks: list[FollowUpTask] = []
        linked = []
        for alert, steps, follow_ups in zip(created, self.events, self.follow_ups, strict=True):
            for event in steps:
                event.alert = alert
                events.append(event)
            for task in follow_ups:
                task.alert = alert
                tasks.append(task)
            screening = getattr(alert, "screening_id", None)
            if screening is not None:
                linked.append((screening, alert.pk))
        AlertEvent.objects.bulk_create(events, batch_size=2000)
        FollowUpTask.objects.bulk_create(tasks, batch_size=2000)
        rows_update(Screening, ("alert",), linked)
        for alert in created:
            day = alert.raised_at.astimezone(self.care.tz).date()
            self.care.wrote.months["alert"].add((day.year, day.month))
        return len(created)


def open_alerts(now: datetime, village: Area | None) -> int:
    """Alerts open now, through protection's services: one in `village` (the demo director's)
    that its officer is on the way to, one just raised that nobody has answered yet (the worker
    escalates it), and one elsewhere that an officer is with the child for."""
    raised = 0
    if village is None:  # no demo director: the village with the most children
        village = (
            Area.objects.filter(level=Area.Level.VILLAGE, users__role=Role.DIRECTOR)
            .annotate(n=Count("children_registered"))
            .order_by("-n", "code")
            .first()
        )
    places: list[tuple[Area, Any]] = []
    if village is not None:
        places.append((village, None))
    other = (
        Area.objects.filter(level=Area.Level.VILLAGE, parent__parent=village.parent.parent)
        .exclude(pk=village.pk)
        .order_by("code")
        if village is not None and village.parent is not None and village.parent.parent
        else Area.objects.none()
    )
    for area in other:
        if User.objects.filter(role=Role.DIRECTOR, area=area).exists():
            places.append((area, None))
            break
    plan = [
        # (place, kind, minutes ago raised, answers: (step, minutes ago))
        (0, Kind.DANGER, 26, ((alert_acknowledge, 24), (alert_on_the_way, 23))),
        (0, Kind.HELP_REQUEST, 3, ()),
        (
            1,
            Kind.INJURY,
            95,
            ((alert_acknowledge, 92), (alert_on_the_way, 90), (alert_with_child, 60)),
        ),
    ]
    for index, kind, ago, answers in plan:
        if index >= len(places):
            continue
        area = places[index][0]
        director = User.objects.filter(role=Role.DIRECTOR, area=area).first()
        child = (
            Child.objects.filter(
                village=area,
                exited_on__isnull=True,
                pairings__role=CarerRole.POLICE,
                pairings__until__isnull=True,
                pairings__carer__user__isnull=False,
            )
            .exclude(pk__in=Alert.objects.filter(resolved_at__isnull=True).values("child_id"))
            .order_by("pk")
            .first()
        )
        if director is None or child is None:
            continue
        alert = alert_raise(
            actor=director,
            child=child,
            kind=kind,
            note=texts.ALERT_NOTES[kind][0],
            now=now - timedelta(minutes=ago),
        )
        officer = User.objects.get(
            carer__pairings__child=child,
            carer__pairings__role=CarerRole.POLICE,
            carer__pairings__until__isnull=True,
        )
        for step, minutes in answers:
            step(actor=officer, alert=alert, now=now - timedelta(minutes=minutes))
        raised += 1
    return raised
