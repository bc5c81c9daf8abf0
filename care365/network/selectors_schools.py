"""Reads for the schools pages and API (docs/network.md), always from the access layer's doors.

What a row carries is what a teacher may see of a child: identity (name, sex, birth date and
age, grade and class) and attendance. Nothing here reads a child's status, family, address,
health or alerts; the registry's keepers see those on the child's own page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from care365.accounts.models import User
from care365.carers.models import Organisation
from care365.network.access import (
    absences_for_user,
    drop_outs_for_user,
    enrolments_for_user,
    keeps_school_roll,
    records_attendance,
    school_children_for_user,
    school_of_teacher,
)
from care365.network.models import Absence, AbsenceReason, AttendanceConcern, DropOut, Enrolment
from care365.network.services.schools import ABSENCE_WINDOW_DAYS
from care365.registry.models import Child

ROLL_LIMIT = 2000
HISTORY_DAYS = 366


@dataclass(frozen=True)
class RollRow:
    """One child of a school's roll: identity and attendance only."""

    child_id: int
    name: str
    sex: str
    birth_date: date
    age: int
    grade: str
    class_name: str
    since: date
    absences: int  # in the last ABSENCE_WINDOW_DAYS days
    unexplained: int
    absent_today: str  # the reason, if recorded absent on the day asked about


def roll_rows(
    user: User, school: Organisation, *, day: date, class_name: str = ""
) -> list[RollRow]:
    """The children with an open enrolment at `school` that the user sees (a teacher: all of
    them; the registry's keepers: those of their area), by class and name, with their absences
    of the window ending on `day`."""
    since = day - timedelta(days=ABSENCE_WINDOW_DAYS - 1)
    rows = (
        Enrolment.objects.filter(
            school=school,
            until__isnull=True,
            child__exited_on__isnull=True,
            child__in=school_children_for_user(user).values("pk"),
        )
        .select_related("child")
        .annotate(
            window=Count(
                "child__school_absences",
                filter=Q(
                    child__school_absences__day__gte=since,
                    child__school_absences__day__lte=day,
                ),
            ),
            unexplained=Count(
                "child__school_absences",
                filter=Q(
                    child__school_absences__day__gte=since,
                    child__school_absences__day__lte=day,
                    child__school_absences__reason=AbsenceReason.UNEXPLAINED,
                ),
            ),
        )
        .order_by("class_name", "child__name_sort", "child__pk")
    )
    if class_name:
        rows = rows.filter(class_name=class_name)
    enrolments = list(rows[:ROLL_LIMIT])
    absent = dict(
        Absence.objects.filter(
            school=school, day=day, child_id__in=[e.child_id for e in enrolments]
        ).values_list("child_id", "reason")
    )
    return [
        RollRow(
            child_id=e.child_id,
            name=e.child.name,
            sex=e.child.sex,
            birth_date=e.child.birth_date,
            age=e.child.age_on(day),
            grade=e.grade,
            class_name=e.class_name,
            since=e.since,
            absences=int(e.window),
            unexplained=int(e.unexplained),
            absent_today=absent.get(e.child_id, ""),
        )
        for e in enrolments
    ]


def school_classes(user: User, school: Organisation) -> list[str]:
    """The classes of the school's open enrolments the user sees."""
    return sorted(
        set(
            enrolments_for_user(user)
            .filter(school=school, until__isnull=True)
            .exclude(class_name="")
            .values_list("class_name", flat=True)
        )
    )


def schools_with_counts(schools: QuerySet[Organisation], user: User) -> list[Organisation]:
    """The schools, each with `enrolled`: how many of its open enrolments the user sees."""
    seen = school_children_for_user(user).values("pk")
    return list(
        schools.select_related("area")
        .annotate(
            enrolled=Count(
                "enrolments",
                filter=Q(enrolments__until__isnull=True, enrolments__child__in=seen),
            )
        )
        .order_by("name", "pk")
    )


@dataclass(frozen=True)
class Attendance:
    """A child's attendance page: their enrolment at school and absences (the last year)."""

    child: Child
    age: int
    enrolment: Enrolment | None
    enrolments: list[Enrolment]
    absences: list[Absence]
    concern: AttendanceConcern | None
    drop_out: DropOut | None
    records: bool  # the user records absences and a drop-out
    keeps: bool  # the user keeps the roll (enrols, ends an enrolment)


def attendance_of_child(user: User, child: Child, today: date) -> Attendance:
    """A child (read through `school_child_get_for_user`) as the schools pages show them."""
    enrolments = list(
        enrolments_for_user(user)
        .filter(child=child)
        .select_related("school")
        .order_by("-since", "-pk")
    )
    current = next((e for e in enrolments if e.until is None), None)
    absences = list(
        absences_for_user(user)
        .filter(child=child, day__gte=today - timedelta(days=HISTORY_DAYS))
        .select_related("school")
        .order_by("-day")[:400]
    )
    keeps = keeps_school_roll(user, child)
    concern = None
    drop_out = None
    if school_of_teacher(user) is None:
        concern = AttendanceConcern.objects.filter(child=child, closed_on__isnull=True).first()
        drop_out = drop_outs_for_user(user).filter(child=child, state=DropOut.State.OPEN).first()
    return Attendance(
        child=child,
        age=child.age_on(today),
        enrolment=current,
        enrolments=enrolments,
        absences=absences,
        concern=concern,
        drop_out=drop_out,
        records=records_attendance(user, child),
        keeps=keeps,
    )


def drop_out_list(user: User, *, open_only: bool = True) -> QuerySet[DropOut]:
    """The drop-outs of the user's area (the registry's keepers), the open ones first by the
    day the child left, with their referral's state."""
    rows = drop_outs_for_user(user).select_related(
        "child", "child__village", "school", "referral", "referral__organisation"
    )
    if open_only:
        rows = rows.filter(state=DropOut.State.OPEN)
    return rows.order_by("left_on", "pk")


def child_school_section(user: User, child: Child) -> dict[str, object]:
    """The child page's school section (registry.views composes it): the current enrolment,
    absences in the window, an open concern and an open drop-out, for the registry's keepers
    who see the child."""
    if not keeps_school_roll(user, child):
        return {"schools": None}
    today = timezone.localdate()
    since = today - timedelta(days=ABSENCE_WINDOW_DAYS - 1)
    return {
        "schools": {
            "enrolment": Enrolment.objects.filter(child=child, until__isnull=True)
            .select_related("school")
            .first(),
            "absences": Absence.objects.filter(child=child, day__gte=since).count(),
            "concern": AttendanceConcern.objects.filter(
                child=child, closed_on__isnull=True
            ).first(),
            "drop_out": DropOut.objects.filter(child=child, state=DropOut.State.OPEN).first(),
        }
    }
