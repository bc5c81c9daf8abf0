"""Synthetic children, their statuses, parents and entrusted carers, following DOMAIN.md's mix.

Plain Python (no database): `children_generate` yields one `ChildRow` at a time from a random
stream, so a million children need no more memory than one. National figures it follows
(Ministry of Civil Affairs): among left-behind children 54.5% are boys, 21.7% are aged 0-5, 67.4%
6-13 and 10.9% 14-15, and 96% are cared for by grandparents. Beside them the registry holds
children in difficulty (poverty, disability, guardianship harm) and de-facto unsupported
children, some with several statuses at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from care365.registry import idnumber
from care365.registry.models import (
    Ethnicity,
    Grade,
    GuardianRelationship,
    Hukou,
    IncomeSource,
    Interest,
    Language,
    ParentRole,
    ParentSituation,
    StatusKind,
)
from care365.seeding.seed import names
from care365.seeding.seed.county import CountyPlan

BOY_SHARE = 0.545
# Left-behind children's age bands (years, inclusive) and their national shares.
LEFT_BEHIND_AGES = ((0, 5, 0.217), (6, 13, 0.674), (14, 15, 0.109))
GRANDPARENT_SHARE = 0.96
# The registry's categories: left-behind (possibly also in difficulty), de-facto unsupported, and
# in difficulty only (parents at home).
CATEGORY_WEIGHTS = (("left_behind", 0.85), ("unsupported", 0.04), ("difficulty", 0.11))
# Extra statuses among left-behind children.
LEFT_BEHIND_ALSO = (
    (StatusKind.DIFFICULTY_POVERTY, 0.10),
    (StatusKind.DIFFICULTY_DISABILITY, 0.02),
    (StatusKind.DIFFICULTY_GUARDIANSHIP, 0.015),
)
NOT_GUARDING = (
    ParentSituation.UNABLE_TO_GUARD,
    ParentSituation.DEAD,
    ParentSituation.MISSING,
    ParentSituation.IMPRISONED,
)
INTERESTS = tuple(Interest.values)
INTEREST_WEIGHTS = (5, 3, 4, 6, 5, 2, 1, 2)  # music dance art sport reading science calligr. crafts


@dataclass(slots=True)
class ParentRow:
    role: str
    name: str
    situation: str
    work_place: str = ""
    away_since: date | None = None
    unable_reason: str = ""
    phone: str = ""


@dataclass(slots=True)
class GuardianRow:
    name: str
    relationship: str
    phone: str
    suitability_checked_on: date | None
    parents_notified_village_on: date | None


@dataclass(slots=True)
class ChildRow:
    village: int  # index into CountyPlan.villages
    name: str
    sex: str
    birth_date: date
    ethnicity: str
    id_number: str
    hukou: str
    address: str
    school: str
    grade: str
    boarding: bool
    health_notes: str
    disability_notes: str
    interests: list[str]
    languages: list[str]
    income_source: str
    statuses: list[tuple[str, date]] = field(default_factory=list)
    parents: list[ParentRow] = field(default_factory=list)
    guardian: GuardianRow | None = None
    volunteer_consent_on: date | None = None  # the guardian's written consent to a volunteer
    # ... and to health examinations and screening, signed with it (the demo's doctor can then
    # examine and screen most children, and sees the way forward for the others).
    health_consent_on: date | None = None


# Share of guardians who have consented in writing to a volunteer visiting their child.
VOLUNTEER_CONSENT_SHARE = 0.88


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _weighted(pairs: tuple[tuple[str, int], ...]) -> tuple[tuple[str, ...], list[int]]:
    return tuple(p[0] for p in pairs), list(accumulate(p[1] for p in pairs))


class ChildGenerator:
    """Draws children for one county from one random stream; the same stream, the same children.

    `taken(number)` says whether an ID number is already registered (when adding to an existing
    registry); numbers are otherwise unique by construction: the sequence part counts up per
    birth date and sex.
    """

    def __init__(
        self,
        rng: random.Random,
        plan: CountyPlan,
        *,
        today: date,
        taken: Callable[[str], bool] | None = None,
    ) -> None:
        self.rng = rng
        self.plan = plan
        self.today = today
        self.taken = taken
        self.village_cum = list(accumulate(v.weight for v in plan.villages))
        self.han = _weighted(names.HAN_SURNAMES)
        self.she = _weighted(names.SHE_SURNAMES)
        self.cities = _weighted(names.WORK_CITIES)
        self.sequences: dict[tuple[date, str], int] = {}
        self.school_year = date(today.year if today.month >= 9 else today.year - 1, 9, 1)

    # --- small draws -------------------------------------------------------------------------
    def surname(self, she: bool) -> str:
        pool, cum = self.she if she else self.han
        return self.rng.choices(pool, cum_weights=cum)[0]

    def given(self, chars: str, two: float = 0.85) -> str:
        choice = self.rng.choice
        return choice(chars) + choice(chars) if self.rng.random() < two else choice(chars)

    def phone(self) -> str:
        return f"1{self.rng.choice('35789')}{self.rng.randrange(10**9):09d}"

    def day_between(self, first: date, last: date) -> date:
        if last <= first:
            return first
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))

    def birth_date(self, age: int, *, min_days: int = 0) -> date:
        latest = min(years_before(self.today, age), self.today - timedelta(days=min_days))
        earliest = years_before(self.today, age + 1) + timedelta(days=1)
        return self.day_between(earliest, latest)

    def id_number(self, born: date, sex: str) -> tuple[date, str]:
        """A valid, unused number: the n-th child of a birth date and sex gets sequence 2n(+1)."""
        while True:
            n = self.sequences.get((born, sex), 0)
            if n >= 500:  # every sequence of the day is used: take the next day
                born = born - timedelta(days=1)
                continue
            self.sequences[(born, sex)] = n + 1
            number = idnumber.make(self.plan.code, born, 2 * n + (1 if sex == "M" else 0))
            if self.taken is None or not self.taken(number):
                return born, number

    def schooling(self, born: date, town: str, village: str) -> tuple[str, str, bool]:
        rng = self.rng
        age = age_on(born, self.school_year)
        if age < 3:
            return "", Grade.NOT_IN_SCHOOL, False
        if age < 6:
            return f"{town}中心幼儿园", Grade.KINDERGARTEN, False
        if age < 12:
            grade = Grade(f"p{min(age - 5, 6)}")
            school = f"{village[:-1]}小学" if rng.random() < 0.3 else f"{town}中心小学"
            return school, grade, age >= 9 and rng.random() < 0.15
        if age < 15:
            school = f"{town}中学" if rng.random() < 0.6 else "景宁畲族自治县民族中学"
            return school, Grade(f"j{age - 11}"), rng.random() < 0.7
        if rng.random() < 0.06:
            return "", Grade.DROPPED_OUT, False
        if rng.random() < 0.3:
            return "景宁畲族自治县职业高级中学", Grade.VOCATIONAL, rng.random() < 0.8
        return "景宁中学", Grade(f"s{min(age - 14, 3)}"), rng.random() < 0.9

    def away_parent(self, role: str, surname: str, born: date) -> ParentRow:
        rng = self.rng
        # Away for at least six months (DOMAIN.md); a mother leaves after the birth.
        first = max(
            born + timedelta(days=60 if role == ParentRole.MOTHER else -900),
            self.today - timedelta(days=12 * 365),
        )
        since = self.day_between(first, self.today - timedelta(days=183))
        return ParentRow(
            role=role,
            name=self.parent_name(role, surname),
            situation=ParentSituation.AWAY_FOR_WORK,
            work_place=rng.choices(self.cities[0], cum_weights=self.cities[1])[0],
            away_since=since,
            phone=self.phone(),
        )

    def parent_name(self, role: str, surname: str) -> str:
        if role == ParentRole.FATHER:
            return surname + self.given(names.MAN_CHARS, 0.6)
        return self.surname(self.rng.random() < 0.1) + self.given(names.WOMAN_CHARS, 0.6)

    def other_parent(self, role: str, surname: str) -> ParentRow:
        situation = self.rng.choices(NOT_GUARDING, weights=(55, 20, 15, 10))[0]
        return ParentRow(
            role=role,
            name=self.parent_name(role, surname),
            situation=situation,
            unable_reason=self.rng.choice(names.UNABLE_REASONS)
            if situation == ParentSituation.UNABLE_TO_GUARD
            else "",
            phone=self.phone() if situation == ParentSituation.UNABLE_TO_GUARD else "",
        )

    def guardian(self, surname: str, *, grandparents: float) -> GuardianRow:
        rng = self.rng
        if rng.random() < grandparents:
            relationship = rng.choices(
                (
                    GuardianRelationship.GRANDMOTHER,
                    GuardianRelationship.GRANDFATHER,
                    GuardianRelationship.GRANDPARENTS,
                ),
                weights=(45, 25, 30),
            )[0]
        else:
            relationship = rng.choice(
                (
                    GuardianRelationship.UNCLE_AUNT,
                    GuardianRelationship.SIBLING,
                    GuardianRelationship.OTHER_RELATIVE,
                )
            )
        if relationship in (GuardianRelationship.GRANDFATHER, GuardianRelationship.GRANDPARENTS):
            name = (surname if rng.random() < 0.75 else self.surname(False)) + self.given(
                names.OLD_MAN_CHARS, 0.5
            )
        elif relationship == GuardianRelationship.GRANDMOTHER:
            name = self.surname(False) + self.given(names.OLD_WOMAN_CHARS, 0.5)
        else:
            name = surname + self.given(names.MAN_CHARS + names.WOMAN_CHARS, 0.6)
        recent = self.today - timedelta(days=3 * 365)
        return GuardianRow(
            name=name,
            relationship=relationship,
            phone=self.phone(),
            suitability_checked_on=self.day_between(recent, self.today)
            if rng.random() < 0.8
            else None,
            parents_notified_village_on=self.day_between(recent, self.today)
            if rng.random() < 0.7
            else None,
        )

    # --- one child ---------------------------------------------------------------------------
    def child(self) -> ChildRow:
        rng = self.rng
        plan = self.plan
        village = plan.villages[
            rng.choices(range(len(plan.villages)), cum_weights=self.village_cum)[0]
        ]
        town = plan.townships[village.township].name
        category = rng.choices(
            [c for c, _ in CATEGORY_WEIGHTS], weights=[w for _, w in CATEGORY_WEIGHTS]
        )[0]
        sex = "M" if rng.random() < BOY_SHARE else "F"
        if category == "left_behind":
            low, high, _ = rng.choices(LEFT_BEHIND_AGES, weights=[b[2] for b in LEFT_BEHIND_AGES])[
                0
            ]
            # A child is left-behind once both parents have been away six months: over 8 months old.
            born = self.birth_date(rng.randint(low, high), min_days=240)
        else:
            born = self.birth_date(rng.randint(0, 17))
        born, number = self.id_number(born, sex)
        she = rng.random() < village.she_share
        surname = self.surname(she)
        name = surname + self.given(names.BOY_CHARS if sex == "M" else names.GIRL_CHARS)
        school, grade, boarding = self.schooling(born, town, village.name)
        languages: list[str]
        if she:
            languages = (
                [Language.SHE, Language.MANDARIN] if rng.random() < 0.8 else [Language.MANDARIN]
            )
        else:
            languages = (
                [Language.MANDARIN, Language.WU] if rng.random() < 0.5 else [Language.MANDARIN]
            )
        n_interests = rng.choices((0, 1, 2, 3), weights=(15, 40, 35, 10))[0]
        interests = sorted(set(rng.choices(INTERESTS, weights=INTEREST_WEIGHTS, k=n_interests)))
        row = ChildRow(
            village=village.index,
            name=name,
            sex=sex,
            birth_date=born,
            ethnicity=Ethnicity.SHE if she else Ethnicity.HAN,
            id_number=number,
            hukou=Hukou.RURAL if rng.random() < 0.97 else Hukou.URBAN,
            address=f"{village.name}{rng.randint(1, 12)}组{rng.randint(1, 120)}号",
            school=school,
            grade=grade,
            boarding=boarding,
            health_notes=rng.choice(names.HEALTH_NOTES) if rng.random() < 0.12 else "",
            disability_notes="",
            interests=interests,
            languages=languages,
            income_source=IncomeSource.MIGRANT_WORK,
        )
        getattr(self, f"_{category}")(row, surname)
        if any(kind == StatusKind.DIFFICULTY_DISABILITY for kind, _ in row.statuses):
            row.disability_notes = rng.choice(names.DISABILITY_NOTES)
        if rng.random() < VOLUNTEER_CONSENT_SHARE:
            row.volunteer_consent_on = self._since(row.birth_date, 2)
            row.health_consent_on = row.volunteer_consent_on
        return row

    def _since(self, born: date, years: int = 5) -> date:
        return self.day_between(max(born, self.today - timedelta(days=years * 365)), self.today)

    def _left_behind(self, row: ChildRow, surname: str) -> None:
        rng = self.rng
        father = self.away_parent(ParentRole.FATHER, surname, row.birth_date)
        if rng.random() < 0.7:
            parents = [father, self.away_parent(ParentRole.MOTHER, surname, row.birth_date)]
        elif rng.random() < 0.6:  # the father away, the mother unable to guard, dead, missing...
            parents = [father, self.other_parent(ParentRole.MOTHER, surname)]
        else:
            parents = [
                self.other_parent(ParentRole.FATHER, surname),
                self.away_parent(ParentRole.MOTHER, surname, row.birth_date),
            ]
        row.parents = parents
        latest = max(p.away_since for p in parents if p.away_since is not None)
        started = min(self.today, max(row.birth_date, latest) + timedelta(days=183))
        row.statuses = [(StatusKind.LEFT_BEHIND, started)]
        for kind, share in LEFT_BEHIND_ALSO:
            if rng.random() < share:
                row.statuses.append((kind, self._since(row.birth_date)))
        poor = any(k == StatusKind.DIFFICULTY_POVERTY for k, _ in row.statuses)
        row.income_source = (
            IncomeSource.SUBSISTENCE
            if poor
            else rng.choices(
                (IncomeSource.MIGRANT_WORK, IncomeSource.FARMING, IncomeSource.LOCAL_WORK),
                weights=(90, 6, 4),
            )[0]
        )
        row.guardian = self.guardian(surname, grandparents=GRANDPARENT_SHARE)

    def _unsupported(self, row: ChildRow, surname: str) -> None:
        rng = self.rng
        row.parents = [
            self.other_parent(ParentRole.FATHER, surname),
            self.other_parent(ParentRole.MOTHER, surname),
        ]
        row.statuses = [(StatusKind.UNSUPPORTED, self._since(row.birth_date, 8))]
        if rng.random() < 0.6:
            row.statuses.append((StatusKind.DIFFICULTY_POVERTY, self._since(row.birth_date)))
        row.income_source = rng.choices(
            (IncomeSource.SUBSISTENCE, IncomeSource.RELATIVES, IncomeSource.PENSION),
            weights=(50, 30, 20),
        )[0]
        row.guardian = self.guardian(surname, grandparents=0.85)

    def _difficulty(self, row: ChildRow, surname: str) -> None:
        rng = self.rng
        father = ParentRow(
            ParentRole.FATHER,
            self.parent_name(ParentRole.FATHER, surname),
            ParentSituation.AT_HOME,
            phone=self.phone(),
        )
        mother = ParentRow(
            ParentRole.MOTHER,
            self.parent_name(ParentRole.MOTHER, surname),
            ParentSituation.AT_HOME,
            phone=self.phone(),
        )
        if rng.random() < 0.3:
            father = self.away_parent(ParentRole.FATHER, surname, row.birth_date)
        row.parents = [father, mother]
        kind = rng.choices(
            (
                StatusKind.DIFFICULTY_POVERTY,
                StatusKind.DIFFICULTY_DISABILITY,
                StatusKind.DIFFICULTY_GUARDIANSHIP,
            ),
            weights=(60, 28, 12),
        )[0]
        row.statuses = [(kind, self._since(row.birth_date))]
        if kind != StatusKind.DIFFICULTY_POVERTY and rng.random() < 0.35:
            row.statuses.append((StatusKind.DIFFICULTY_POVERTY, self._since(row.birth_date)))
        poor = any(k == StatusKind.DIFFICULTY_POVERTY for k, _ in row.statuses)
        row.income_source = rng.choices(
            (IncomeSource.SUBSISTENCE, IncomeSource.FARMING, IncomeSource.LOCAL_WORK),
            weights=(70, 20, 10) if poor else (0, 50, 50),
        )[0]
        # Parents at home: no entrusted carer.


def children_generate(
    rng: random.Random,
    plan: CountyPlan,
    count: int,
    *,
    today: date,
    taken: Callable[[str], bool] | None = None,
) -> Iterator[ChildRow]:
    generator = ChildGenerator(rng, plan, today=today, taken=taken)
    for _ in range(count):
        yield generator.child()
