"""A year of daily care for every child: contacts at the county's intervals (kept well by most
carers, patchily by some, dropped lately by a few, so that some are overdue today), health
examinations on DOMAIN.md's schedule with growth that gives plausible WHO z-scores, wellbeing
screenings (with the guardian's consent) and the referrals the positive ones opened, small
wishes (many around Children's Day), events and health education sessions.

Contacts and examinations, the big tables, are written as plain rows (COPY on PostgreSQL, one
prepared INSERT on SQLite), a chunk of children at a time; the rest through bulk_create."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.care import growth, plans, screening
from care365.care.growth.lms import Sex, Table, table
from care365.care.models import (
    Activity,
    CareEvent,
    CareSettings,
    CareTask,
    Contact,
    ContactChannel,
    ContactKind,
    Examination,
    HealthSession,
    Position,
    Screening,
    WhichParent,
    Wish,
)
from care365.carers.models import CarerRole
from care365.pairing.models import Pairing
from care365.registry.models import Child, Consent, ConsentPurpose, Parent, ParentSituation
from care365.seeding.seed.history import texts
from care365.seeding.seed.history.registry import Window
from care365.seeding.seed.writers import rows_insert

CHUNK = 2000
# How carers keep to an interval: (habit, weight). Steady carers come a little early or late;
# patchy ones miss some; lapsed ones stopped coming a while ago (their children are overdue).
HABITS = (("steady", 70), ("patchy", 22), ("lapsed", 8))
PARENT_HABITS = (("steady", 60), ("patchy", 30), ("lapsed", 10))
EXAM_DONE = 0.9  # share of due examinations that were done
SCREENED = 0.45  # share of children of screening age screened in the year
SELF_HARM_EVERY = 250  # about one screening in this many has a self-harm answer
WISH_SHARE = 0.28
REFERRAL_DAYS = 14

CONTACT_FIELDS = (
    "child", "kind", "occurred_at", "occurred_on", "duration_minutes", "what", "activities",
    "channel", "parent", "mood", "follow_up_needed", "follow_up_note", "logged_by",
    "logged_by_role", "carer", "created_at",
)  # fmt: skip
EXAM_FIELDS = (
    "child", "examined_on", "age_days", "doctor", "entered_by", "height_cm", "weight_kg",
    "position", "vision_left", "vision_right", "decayed_teeth", "teeth_notes", "systolic",
    "diastolic", "notes", "zhfa", "zwfa", "zbfa", "bmi", "growth_reference", "growth_flags",
    "growth_classes", "created_at",
)  # fmt: skip
ACTIVITIES = {
    "music": Activity.MUSIC,
    "dance": Activity.DANCE,
    "art": Activity.ART,
    "sport": Activity.SPORT,
    "reading": Activity.READING,
}
CHANNELS = tuple(ContactChannel.values)
PARENTS = tuple(WhichParent.values)
NO_ACTIVITIES = json.dumps([])

# Festival days (the lunar calendar's, so by year): Mid-Autumn and the Spring Festival.
MID_AUTUMN = {2024: (9, 17), 2025: (10, 6), 2026: (9, 25), 2027: (9, 15), 2028: (10, 3)}
SPRING_FESTIVAL = {2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13)}


@dataclass(frozen=True, slots=True)
class Spell:
    """One carer of one child from `since` to `until` (exclusive; None: still)."""

    carer: int
    user: int
    since: date
    until: date | None

    def holds(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day < self.until)


@dataclass(slots=True)
class Kid:
    pk: int
    village: int
    township: int
    birth: date
    sex: str
    registered: date
    exited: date | None
    interests: list[str]
    parents_away: bool
    health_consent: date | None
    volunteer_consent: date | None
    spells: dict[str, list[Spell]] = field(default_factory=dict)

    def carer_on(self, role: str, day: date) -> Spell | None:
        return next((s for s in self.spells.get(role, ()) if s.holds(day)), None)

    def age_on(self, day: date) -> int:
        return (
            day.year - self.birth.year - ((day.month, day.day) < (self.birth.month, self.birth.day))
        )


@dataclass
class People:
    directors: dict[int, int]  # village -> user
    supervisors: dict[int, int]  # township -> user
    admin: int | None
    volunteers: list[int]  # users of the county's volunteers
    doctors_by_township: dict[int, list[tuple[int, int]]]  # township -> [(carer, user)]


@dataclass
class Wrote:
    counts: Counter[str] = field(default_factory=Counter)
    # Screenings with a self-harm answer, for protection's alerts: (screening id, kid, moment).
    self_harm: list[tuple[int, Kid, datetime]] = field(default_factory=list)
    months: dict[str, set[tuple[int, int]]] = field(default_factory=lambda: defaultdict(set))


def kids_load(county: Area, window: Window) -> tuple[list[Kid], People]:
    prefix = county.code[:6]
    villages = dict(
        Area.objects.filter(level=Area.Level.VILLAGE, code__startswith=prefix).values_list(
            "pk", "parent_id"
        )
    )
    away = set(
        Parent.objects.filter(
            situation=ParentSituation.AWAY_FOR_WORK, child__village_id__in=list(villages)
        ).values_list("child_id", flat=True)
    )
    consents: dict[tuple[int, str], date] = {
        (child, purpose): given
        for child, purpose, given in Consent.objects.filter(
            withdrawn_on__isnull=True, child__village_id__in=list(villages)
        ).values_list("child_id", "purpose", "given_on")
    }
    kids: dict[int, Kid] = {}
    rows = (
        Child.objects.filter(village_id__in=list(villages))
        .exclude(exited_on__lt=window.first)
        .order_by("pk")
        .values_list(
            "pk", "village_id", "birth_date", "sex", "registered_at", "exited_on", "interests"
        )
    )
    for pk, village, born, sex, registered, exited, interests in rows:
        kids[pk] = Kid(
            pk=pk,
            village=village,
            township=villages[village],
            birth=born,
            sex=sex,
            registered=timezone.localdate(registered),
            exited=exited,
            interests=list(interests or []),
            parents_away=pk in away,
            health_consent=consents.get((pk, ConsentPurpose.HEALTH_SCREENING)),
            volunteer_consent=consents.get((pk, ConsentPurpose.VOLUNTEER)),
        )
    users = dict(User.objects.filter(carer__isnull=False).values_list("carer_id", "pk"))
    spells: dict[tuple[int, str], list[Spell]] = defaultdict(list)
    for child, role, carer, since, until in (
        Pairing.objects.filter(child_id__in=list(kids))
        .order_by("since", "pk")
        .values_list("child_id", "role", "carer_id", "since", "until")
    ):
        if carer in users:
            spells[(child, role)].append(Spell(carer, users[carer], since, until))
    doctors: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for (child, role), found in spells.items():
        kids[child].spells[role] = found
        if role == CarerRole.DOCTOR:
            doctors[kids[child].township].update((s.carer, s.user) for s in found)
    staff = User.objects.filter(area__code__startswith=prefix, is_active=True).order_by("pk")
    people = People(
        directors=dict(staff.filter(role=Role.DIRECTOR).values_list("area_id", "pk")),
        supervisors=dict(staff.filter(role=Role.SUPERVISOR).values_list("area_id", "pk")),
        admin=staff.filter(role=Role.COUNTY_ADMIN).values_list("pk", flat=True).first(),
        volunteers=sorted(
            users[c]
            for c in set(users)
            & set(
                Pairing.objects.filter(
                    role=CarerRole.VOLUNTEER, child__village_id__in=list(villages)
                ).values_list("carer_id", flat=True)
            )
        ),
        doctors_by_township={t: sorted(v) for t, v in doctors.items()},
    )
    return list(kids.values()), people


def _habit(rng: random.Random, habits: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([h for h, _ in habits], [w for _, w in habits])[0]


def _series(rng: random.Random, start: date, end: date, interval: int, habit: str) -> list[date]:
    """The days of a series of contacts from `start` to `end` at about `interval` days."""
    if end < start:
        return []
    stop = end
    if habit == "lapsed":
        stop = end - timedelta(days=int(interval * rng.uniform(2.0, 5.0)))
    day = start + timedelta(days=rng.randrange(max(1, interval)))
    found = []
    while day <= stop:
        found.append(day)
        if habit == "steady":
            factor = rng.uniform(0.6, 1.1)
        else:
            factor = rng.uniform(0.7, 1.7) * (3 if rng.random() < 0.08 else 1)
        day += timedelta(days=max(1, round(interval * factor)))
    return found


class CareWriter:
    def __init__(self, rng: random.Random, county: Area, window: Window, people: People) -> None:
        self.rng = rng
        self.window = window
        self.people = people
        settings = CareSettings.objects.filter(county=county).first() or CareSettings(county=county)
        self.intervals = {kind: settings.interval(kind) for kind in plans.DEFAULT_INTERVALS}
        self.tz = timezone.get_current_timezone()
        self.wrote = Wrote()
        self.village_habit: dict[int, str] = {}

    # --- moments -------------------------------------------------------------------------------
    def moment(self, day: date, start: int = 8, end: int = 19) -> datetime:
        rng = self.rng
        at = datetime.combine(day, time(rng.randrange(start, end), rng.randrange(60)), self.tz)
        return min(at, self.window.now - timedelta(minutes=rng.randrange(5, 120)))

    def later(self, at: datetime, most_minutes: int = 600) -> datetime:
        return min(at + timedelta(minutes=self.rng.randrange(1, most_minutes)), self.window.now)

    def last_day(self, kid: Kid) -> date:
        return min(
            self.window.today, (kid.exited - timedelta(days=1)) if kid.exited else self.window.today
        )

    def first_day(self, kid: Kid) -> date:
        return max(self.window.first, kid.registered)

    # --- contacts -------------------------------------------------------------------------------
    def contacts(self, kid: Kid, mood: float) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        first, last = self.first_day(kid), self.last_day(kid)
        iv = self.intervals
        for role, kind in (
            (CarerRole.VOLUNTEER, ContactKind.VOLUNTEER_VISIT),
            (CarerRole.POLICE, ContactKind.SAFETY_CHECK),
        ):
            for spell in kid.spells.get(role, ()):
                start = max(first, spell.since)
                end = min(last, spell.until - timedelta(days=1) if spell.until else last)
                habit = _habit(rng, HABITS)
                for day in _series(rng, start, end, iv[kind], habit):
                    yield self.contact(kid, kind, day, spell.user, role, spell.carer, mood)
        director = self.people.directors.get(kid.village)
        if director is not None:
            habit = self.village_habit.setdefault(kid.village, _habit(rng, HABITS))
            if habit == "lapsed" and rng.random() < 0.5:
                habit = "patchy"  # a director who lapses still sees some families
            for day in _series(rng, first, last, iv[ContactKind.HOME_VISIT], habit):
                yield self.contact(
                    kid, ContactKind.HOME_VISIT, day, director, Role.DIRECTOR, None, mood
                )
        if kid.parents_away and director is not None:
            habit = _habit(rng, PARENT_HABITS)
            spells = kid.spells.get(CarerRole.VOLUNTEER)
            volunteer = spells[-1] if spells else None
            for day in _series(rng, first, last, iv[ContactKind.PARENT_CONTACT], habit):
                if volunteer is not None and volunteer.holds(day) and rng.random() < 0.2:
                    by: tuple[int, str, int | None] = (
                        volunteer.user,
                        Role.VOLUNTEER,
                        volunteer.carer,
                    )
                else:
                    by = (director, Role.DIRECTOR, None)
                yield self.contact(kid, ContactKind.PARENT_CONTACT, day, *by, mood)
        doctor_spells = kid.spells.get(CarerRole.DOCTOR, ())
        for spell in doctor_spells:
            if rng.random() < 0.35:
                day = self.window.day(rng, max(first, spell.since), min(last, spell.until or last))
                if spell.holds(day) and day <= last:
                    yield self.contact(
                        kid,
                        ContactKind.CONSULTATION,
                        day,
                        spell.user,
                        Role.DOCTOR,
                        spell.carer,
                        mood,
                    )

    def contact(
        self,
        kid: Kid,
        kind: str,
        day: date,
        user: int,
        role: str,
        carer: int | None,
        mood: float,
        what: str | None = None,
    ) -> tuple[Any, ...]:
        rng = self.rng
        at = self.moment(
            day,
            7 if kind == ContactKind.PARENT_CONTACT else 8,
            21 if kind == ContactKind.PARENT_CONTACT else 18,
        )
        activities: list[str] = []
        channel = parent = ""
        if kind == ContactKind.VOLUNTEER_VISIT:
            minutes = rng.randrange(30, 150, 10)
            liked = [ACTIVITIES[i] for i in kid.interests if i in ACTIVITIES]
            activities = sorted(
                {rng.choice([Activity.COMPANIONSHIP, Activity.HOMEWORK, *liked])}
                | ({rng.choice(liked)} if liked and rng.random() < 0.4 else set())
            )
            notes: tuple[str, ...] = texts.VOLUNTEER_NOTES
        elif kind == ContactKind.PARENT_CONTACT:
            channel = rng.choices(CHANNELS, (55, 42, 3))[0]
            parent = rng.choices(PARENTS, (35, 45, 20))[0]
            minutes = rng.randrange(5, 45) if channel != ContactChannel.IN_PERSON else 240
            notes = texts.PARENT_NOTES
        elif kind == ContactKind.HOME_VISIT:
            minutes = rng.randrange(20, 70, 5)
            notes = texts.HOME_NOTES
        elif kind == ContactKind.SAFETY_CHECK:
            minutes = rng.randrange(15, 50, 5)
            notes = texts.SAFETY_NOTES
        else:
            minutes = rng.randrange(10, 40, 5)
            notes = texts.CONSULTATION_NOTES
        felt = None
        if rng.random() < 0.8:
            felt = max(1, min(5, round(rng.gauss(mood, 0.8))))
        follow_up = rng.random() < 0.02 and kind != ContactKind.PARENT_CONTACT
        self.wrote.counts[f"contact_{kind}"] += 1
        self.wrote.months[f"contact_{kind}"].add((day.year, day.month))
        return (
            kid.pk, kind, at, day, minutes, rng.choice(notes) if what is None else what,
            json.dumps(activities) if activities else NO_ACTIVITIES, channel, parent, felt,
            follow_up,
            rng.choice(texts.FOLLOW_UPS) if follow_up else "", user, role, carer, self.later(at),
        )  # fmt: skip

    # --- examinations ---------------------------------------------------------------------------
    def exam_days(self, kid: Kid) -> list[date]:
        rng = self.rng
        first, last = self.first_day(kid), self.last_day(kid)
        if kid.health_consent is not None:
            first = max(first, kid.health_consent)
        days = []
        for months in plans.EXAM_MILESTONE_MONTHS:
            day = plans.add_months(kid.birth, months) + timedelta(days=rng.randrange(-10, 25))
            if first <= day <= last:
                days.append(day)
        if plans.add_months(kid.birth, plans.EXAM_MILESTONE_MONTHS[-1]) < first:
            # School age: the yearly check, in the autumn term or the spring.
            year = self.window.today.year
            for lo, hi in (
                (date(year - 1, 9, 15), date(year - 1, 11, 30)),
                (date(year, 3, 1), date(year, 5, 31)),
                (date(year, 9, 15), date(year, 11, 30)),
            ):
                if lo <= last and hi >= first and not days:
                    day = self.window.day(rng, max(lo, first), min(hi, last))
                    if first <= day <= last:
                        days.append(day)
        return [d for d in days if rng.random() < EXAM_DONE]

    def exam(self, kid: Kid, day: date, z_height: float, z_bmi: float) -> tuple[Any, ...] | None:
        rng = self.rng
        spell = kid.carer_on(CarerRole.DOCTOR, day)
        if spell is None:
            return None
        age_days = (day - kid.birth).days
        sex = Sex(kid.sex)
        months = age_days / growth.DAYS_PER_MONTH
        zh = max(-3.6, min(3.2, z_height + rng.gauss(0, 0.12)))
        zb = max(-3.2, min(3.3, z_bmi + rng.gauss(0, 0.2)))
        if months < 60:
            lms_h = table(Table.LENGTH_HEIGHT_0_5)[sex].at(age_days)
            lms_b = table(Table.BMI_0_5)[sex].at(age_days)
            position = Position.LENGTH if age_days < 731 else Position.HEIGHT
        elif months <= 228:
            lms_h = table(Table.HEIGHT_5_19)[sex].interpolated(months)
            lms_b = table(Table.BMI_5_19)[sex].interpolated(months)
            position = Position.HEIGHT
        else:
            return None
        height = round(lms_h.sd(zh), 1)
        weight = round(lms_b.sd(zb) * (height / 100) ** 2, 2)
        result = growth.assess(
            sex=kid.sex, age_days=age_days, height_cm=height, weight_kg=weight, position=position
        )
        if result.flags:  # a doctor would measure again: the history keeps plausible values
            return None
        age = kid.age_on(day)
        vision: list[float | None] = [None, None]
        teeth = bp = None
        if age >= 4:
            poor = rng.random() < min(0.7, 0.08 + 0.045 * max(0, age - 6))
            base = (
                rng.choice((4.5, 4.6, 4.7, 4.8, 4.9)) if poor else rng.choice((5.0, 5.0, 5.1, 5.2))
            )
            vision = [base, max(3.5, min(5.3, base + rng.choice((-0.1, 0, 0, 0.1))))]
        if age >= 2:
            teeth = rng.choices((0, 1, 2, 3, 4), (55, 18, 13, 8, 6))[0]
        if age >= 7:
            systolic = rng.randrange(92, 122)
            bp = (systolic, rng.randrange(52, min(82, systolic - 20)))
        self.wrote.counts["examination"] += 1
        self.wrote.months["examination"].add((day.year, day.month))
        at = self.moment(day)
        return (
            kid.pk, day, age_days, spell.carer, spell.user, f"{height:.1f}", f"{weight:.2f}",
            position, None if vision[0] is None else f"{vision[0]:.1f}",
            None if vision[1] is None else f"{vision[1]:.1f}", teeth,
            rng.choice(texts.TEETH_NOTES) if teeth else "", bp[0] if bp else None,
            bp[1] if bp else None, rng.choice(texts.EXAM_NOTES), result.zhfa, result.zwfa,
            result.zbfa, result.bmi, result.reference.value if result.reference else "",
            json.dumps([]), json.dumps([c.value for c in result.classes]), self.later(at),
        )  # fmt: skip

    # --- screenings -----------------------------------------------------------------------------
    def screenings(self, kid: Kid, pending: list[tuple[Screening, Kid, float, bool]]) -> None:
        rng = self.rng
        if kid.health_consent is None or rng.random() >= SCREENED:
            return
        first = max(self.first_day(kid), kid.health_consent)
        day = self.window.day(rng, first, self.last_day(kid))
        if not first <= day <= self.last_day(kid):
            return
        age = kid.age_on(day)
        if age < 8:
            return
        spell = kid.carer_on(CarerRole.DOCTOR, day)
        if spell is None:
            return
        code = "ces-dc" if age < 12 else rng.choice(("phq9", "gad7", "ces-dc"))
        severity = rng.betavariate(1.1, 8)
        harm = code == "phq9" and severity > 0.25 and rng.random() < 25 / SELF_HARM_EVERY
        pending.append((self.screening(kid, day, spell, code, severity, harm), kid, severity, harm))

    def screening(
        self, kid: Kid, day: date, spell: Spell, code: str, severity: float, harm: bool
    ) -> Screening:
        rng = self.rng
        form = screening.builtin(code)
        answers = []
        for item in form.items:
            k = min(item.highest - item.lowest, sum(rng.random() < severity for _ in range(3)))
            if code == "phq9" and item.number == 9:
                k = rng.choice((1, 2)) if harm else 0
            answers.append(item.highest - k if item.reversed else item.lowest + k)
        extra: dict[str, int] = {}
        for question in form.supplementary:
            values = [o.value for o in question.options]
            if question.code == "difficulty":
                extra[question.code] = values[min(len(values) - 1, int(severity * 6))]
            elif question.code == "past_year_depressed":
                extra[question.code] = int(severity > 0.3)
            elif question.code == "suicidal_thoughts_past_month":
                extra[question.code] = int(harm)
            else:
                extra[question.code] = 0
        result = screening.score(form, answers, extra)
        self.wrote.counts["screening"] += 1
        self.wrote.counts["screening_above_cutoff"] += result.above_cutoff
        self.wrote.months["screening"].add((day.year, day.month))
        return Screening(
            child_id=kid.pk,
            instrument=result.instrument,
            instrument_version=result.version,
            screened_on=day,
            answers=list(result.answers),
            supplementary=dict(result.supplementary),
            total=result.total,
            subscales=dict(result.subscales),
            subscale_bands=dict(result.subscale_bands),
            band=result.band,
            above_cutoff=result.above_cutoff,
            flags=list(result.flags),
            entered_by_id=spell.user,
        )

    def screenings_write(self, pending: list[tuple[Screening, Kid, float, bool]]) -> None:
        """The screenings, the second screening some positive ones had a month or more later,
        the doctor's referral tasks (done, but for the recent ones) and the consultation each
        done referral was."""
        rng = self.rng
        again = []
        for row, kid, severity, _harm in pending:
            if not row.above_cutoff:
                continue
            later = row.screened_on + timedelta(days=rng.randrange(30, 100))
            spell = kid.carer_on(CarerRole.DOCTOR, later)
            if later <= self.last_day(kid) and spell is not None and rng.random() < 0.6:
                again.append(
                    (
                        self.screening(kid, later, spell, row.instrument, severity * 0.6, False),
                        kid,
                        0.0,
                        False,
                    )
                )
        pending += again
        rows = Screening.objects.bulk_create([p[0] for p in pending], batch_size=2000)
        self.recorded(Screening, rows, "screened_on")
        tasks, consultations = [], []
        for row, (_s, kid, _severity, harm) in zip(rows, pending, strict=True):
            opened = row.created_at
            if harm:
                self.wrote.self_harm.append((row.pk, kid, opened))
                tasks.append(
                    self.task(CareTask.Kind.SELF_HARM, row, kid, opened, row.screened_on, 0)
                )
            if row.above_cutoff:
                due = row.screened_on + timedelta(days=REFERRAL_DAYS)
                task = self.task(
                    CareTask.Kind.REFERRAL, row, kid, opened, due, rng.randrange(2, 16)
                )
                tasks.append(task)
                spell = kid.carer_on(CarerRole.DOCTOR, row.screened_on)
                if task.done_at is not None and spell is not None:
                    consultations.append(
                        self.contact(
                            kid, ContactKind.CONSULTATION, timezone.localdate(task.done_at),
                            spell.user, Role.DOCTOR, spell.carer, 2.5, texts.CONSULTATION_NOTES[3],
                        )
                    )  # fmt: skip
        CareTask.objects.bulk_create(tasks, batch_size=2000)
        rows_insert(Contact, CONTACT_FIELDS, consultations)
        self.wrote.counts["care_task"] += len(tasks)
        self.wrote.counts["care_task_open"] += sum(t.state == CareTask.State.OPEN for t in tasks)

    def task(
        self, kind: str, row: Screening, kid: Kid, opened: datetime, due: date, days: int
    ) -> CareTask:
        assignee = row.entered_by_id
        done_at = opened + timedelta(days=days, hours=self.rng.randrange(1, 8))
        done = done_at < self.window.now - timedelta(days=2) and self.rng.random() < 0.92
        return CareTask(
            kind=kind,
            child_id=kid.pk,
            screening=row,
            assignee_id=assignee,
            state=CareTask.State.DONE if done else CareTask.State.OPEN,
            created_at=opened,
            due_on=due,
            done_at=done_at if done else None,
            done_by_id=assignee if done else None,
            note=texts.CONSULTATION_NOTES[3] if done else "",
        )

    # --- the whole of it, a chunk of children at a time ----------------------------------------
    def children(self, kids: list[Kid]) -> None:
        rng = self.rng
        pending: list[tuple[Screening, Kid, float, bool]] = []
        for start in range(0, len(kids), CHUNK):
            chunk = kids[start : start + CHUNK]
            contacts: list[tuple[Any, ...]] = []
            exams: list[tuple[Any, ...]] = []
            for kid in chunk:
                mood = rng.choices((4.2, 3.6, 2.6), (70, 24, 6))[0]
                contacts.extend(self.contacts(kid, mood))
                if kid.health_consent is not None:
                    z_height = rng.gauss(-0.35, 0.9)
                    z_bmi = rng.gauss(0.1, 1.0)
                    for day in self.exam_days(kid):
                        exam = self.exam(kid, day, z_height, z_bmi)
                        if exam is not None:
                            exams.append(exam)
                self.screenings(kid, pending)
            rows_insert(Contact, CONTACT_FIELDS, contacts)
            rows_insert(Examination, EXAM_FIELDS, exams)
        self.screenings_write(pending)

    # --- wishes ---------------------------------------------------------------------------------
    def childrens_day(self) -> date:
        today = self.window.today
        day = date(today.year, 6, 1)
        return day if day <= today else date(today.year - 1, 6, 1)

    def wishes(self, kids: list[Kid]) -> None:
        rng = self.rng
        june = self.childrens_day()
        now = self.window.now
        made: list[Wish] = []
        for kid in kids:
            if kid.volunteer_consent is None or rng.random() >= WISH_SHARE:
                continue
            director = self.people.directors.get(kid.village)
            if director is None:
                continue
            first, last = max(self.first_day(kid), kid.volunteer_consent), self.last_day(kid)
            season = rng.random() < 0.45 and first <= june - timedelta(days=10) <= last
            if season:
                posted_on = self.window.day(
                    rng, max(first, june - timedelta(days=30)), june - timedelta(days=8)
                )
            else:
                posted_on = self.window.day(rng, first, last)
            if not first <= posted_on <= last:
                continue
            volunteer = kid.carer_on(CarerRole.VOLUNTEER, posted_on)
            poster = volunteer.user if volunteer is not None and rng.random() < 0.3 else director
            what, cost = rng.choice(texts.WISHES)
            wish = Wish(
                child_id=kid.pk,
                what=what,
                cost_yuan=max(1, round(cost * rng.uniform(0.8, 1.3))),
                posted_by_id=poster,
                posted_at=self.moment(posted_on),
            )
            self.wish_course(wish, kid, director, volunteer, june if season else None, now)
            made.append(wish)
            self.wrote.counts["wish"] += 1
            self.wrote.counts[f"wish_{wish.state}"] += 1
            self.wrote.months["wish"].add((posted_on.year, posted_on.month))
        Wish.objects.bulk_create(made, batch_size=2000)

    def wish_course(
        self,
        wish: Wish,
        kid: Kid,
        director: int,
        volunteer: Spell | None,
        june: date | None,
        now: datetime,
    ) -> None:
        rng = self.rng
        posted = wish.posted_at
        age = (now - posted).days
        if june is None:
            if age < 14:
                steps = rng.choices((0, 1), (60, 40))[0]
            elif age < 45:
                steps = rng.choices((0, 1, 2, 3), (10, 40, 30, 20))[0]
            else:
                steps = rng.choices((0, 1, 2, 3, -1), (4, 3, 5, 83, 5))[0]
        else:
            steps = rng.choices((3, 2), (92, 8))[0]
        if steps == -1:
            wish.state = Wish.State.WITHDRAWN
            wish.withdrawn_at = self.later(posted + timedelta(days=rng.randrange(10, 40)), 60)
            return
        if steps == 0:
            return
        claimed = self.later(posted + timedelta(days=rng.randrange(0, 8)), 300)
        if self.people.volunteers and rng.random() < 0.6:
            wish.claimed_by_id = rng.choice(self.people.volunteers)
        else:
            wish.claimed_by_id, wish.donor_name = director, rng.choice(texts.DONORS)
        wish.claimed_at, wish.state = claimed, Wish.State.CLAIMED
        if steps == 1:
            return
        if june is not None:
            delivered = self.moment(june + timedelta(days=rng.randrange(-3, 2)))
        else:
            delivered = self.later(claimed + timedelta(days=rng.randrange(3, 20)), 300)
        if delivered <= claimed or delivered >= now:
            return
        wish.delivered_at, wish.state = delivered, Wish.State.DELIVERED
        wish.delivered_by_id = wish.claimed_by_id if not wish.donor_name else director
        if steps == 2:
            return
        confirmed = self.later(delivered + timedelta(days=rng.randrange(1, 10)), 300)
        if confirmed >= now:
            return
        wish.confirmed_at, wish.confirmed_by_id = confirmed, director
        wish.state = Wish.State.CONFIRMED
        wish.note = rng.choice(texts.WISH_CONFIRM_NOTES)

    def recorded(self, model: Any, rows: list[Any], day_field: str) -> None:
        """Recorded the evening of the day it happened (bulk_create leaves auto_now_add to
        the moment of the seed)."""
        for row in rows:
            row.created_at = self.later(self.moment(getattr(row, day_field), 17, 21), 120)
        model.objects.bulk_update(rows, ["created_at"], batch_size=2000)

    # --- events and health education --------------------------------------------------------------
    def events(self, county: Area, kids: list[Kid]) -> None:
        rng = self.rng
        window = self.window
        by_township: dict[int, list[Kid]] = defaultdict(list)
        for kid in kids:
            by_township[kid.township].append(kid)
        townships = list(Area.objects.filter(parent=county).order_by("code"))
        planned: list[tuple[CareEvent, list[int]]] = []
        june = self.childrens_day()
        years = {window.first.year, window.today.year}
        festivals = [
            (
                CareEvent.Kind.FESTIVAL,
                "中秋节关爱活动",
                date(y, *MID_AUTUMN[y]),
                texts.EVENT_GIVEN[2],
            )
            for y in years
            if y in MID_AUTUMN
        ] + [
            (
                CareEvent.Kind.FESTIVAL,
                "春节送温暖",
                date(y, *SPRING_FESTIVAL[y]) - timedelta(days=7),
                texts.EVENT_GIVEN[3],
            )
            for y in years
            if y in SPRING_FESTIVAL
        ]
        for township in townships:
            supervisor = self.people.supervisors.get(township.pk)
            present = by_township.get(township.pk, [])
            if supervisor is None or not present:
                continue
            days = [
                (CareEvent.Kind.CHILDRENS_DAY, "六一儿童节关爱活动", june, texts.EVENT_GIVEN[0])
            ]
            days += [f for f in festivals if rng.random() < 0.6]
            if rng.random() < 0.3:
                days.append(
                    (
                        CareEvent.Kind.OUTING,
                        "暑期研学活动",
                        date(june.year, 7, rng.randrange(10, 31)),
                        texts.EVENT_GIVEN[1],
                    )
                )
            for kind, title, day, given in days:
                if not window.first <= day <= window.today:
                    continue
                came = [
                    k.pk
                    for k in present
                    if k.registered <= day
                    and (k.exited is None or k.exited > day)
                    and rng.random() < (0.65 if kind == CareEvent.Kind.CHILDRENS_DAY else 0.35)
                ]
                event = CareEvent(
                    kind=kind,
                    title=f"{township.name}{title}",
                    held_on=day,
                    place=f"{township.name}中心小学"
                    if kind != CareEvent.Kind.OUTING
                    else "畲族博物馆",
                    area=township,
                    given=given,
                    recorded_by_id=supervisor,
                )
                planned.append((event, came))
        events = CareEvent.objects.bulk_create([e for e, _ in planned])
        self.recorded(CareEvent, events, "held_on")
        through = CareEvent.children.through
        through.objects.bulk_create(
            [
                through(careevent_id=e.pk, child_id=c)
                for e, (_e, came) in zip(events, planned, strict=True)
                for c in came
            ],
            batch_size=5000,
        )
        self.wrote.counts["event"] += len(events)
        for event in events:
            self.wrote.months["event"].add((event.held_on.year, event.held_on.month))
        self.health_sessions(townships, by_township)

    def health_sessions(self, townships: list[Area], by_township: dict[int, list[Kid]]) -> None:
        rng = self.rng
        planned: list[tuple[HealthSession, list[int]]] = []
        for township in townships:
            doctors = self.people.doctors_by_township.get(township.pk, [])
            for _ in range(3 if doctors else 0):
                carer, user = rng.choice(doctors)
                day = self.window.day(rng)
                came = [
                    k.pk
                    for k in by_township.get(township.pk, [])
                    if (s := k.carer_on(CarerRole.DOCTOR, day)) is not None
                    and s.carer == carer
                    and rng.random() < 0.6
                ]
                session = HealthSession(
                    title=rng.choice(texts.HEALTH_TOPICS),
                    held_on=day,
                    place=f"{township.name}卫生院",
                    area=township,
                    doctor_id=carer,
                    recorded_by_id=user,
                )
                planned.append((session, came))
        sessions = HealthSession.objects.bulk_create([s for s, _ in planned])
        self.recorded(HealthSession, sessions, "held_on")
        through = HealthSession.children.through
        through.objects.bulk_create(
            [
                through(healthsession_id=s.pk, child_id=c)
                for s, (_s, came) in zip(sessions, planned, strict=True)
                for c in came
            ],
            batch_size=5000,
        )
        self.wrote.counts["health_session"] += len(sessions)
