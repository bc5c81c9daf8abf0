"""Reads of health education and of the volunteers' study help and interests.

Sessions come through `care.access.health_sessions_visible` and name only the children the
reader may see (`children_for_user`); the others present are a count. A child's learning goals,
notes and interest activities are read only by the child's team (`care.access.sees_learning`):
a child passed in comes from the access layer, which logged the read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Prefetch, QuerySet, Sum

from care365.accounts.access import areas_for_user, children_for_user, county_of_user
from care365.accounts.models import User
from care365.areas.models import Area
from care365.care.access import (
    account,
    health_sessions_visible,
    may_write_learning,
    records_health_sessions,
    sees_learning,
    sees_session_figures,
)
from care365.care.models import HealthSession, InterestActivity, LearningGoal, LearningNote
from care365.carers.models import Organisation
from care365.registry.models import Child

# --- health education -------------------------------------------------------------------------


def health_sessions_list(
    user: User, *, since: date | None = None, until: date | None = None
) -> QuerySet[HealthSession]:
    """The sessions the user sees (`health_sessions_visible`), newest first."""
    qs = health_sessions_visible(user)
    if since is not None:
        qs = qs.filter(held_on__gte=since)
    if until is not None:
        qs = qs.filter(held_on__lte=until)
    return qs.select_related("area", "doctor", "school").order_by("-held_on", "-pk")


@dataclass
class SessionRow:
    """A session as one reader sees it: the children present whom the reader may see, and the
    others present as a count (people without an identity; children the reader may not see
    are not counted, so the row says nothing of them)."""

    session: HealthSession
    children: list[Child] = field(default_factory=list)

    @property
    def present(self) -> int:
        return len(self.children) + self.session.other_attendees


def session_rows(user: User, sessions: Iterable[HealthSession]) -> list[SessionRow]:
    """Rows for a page of sessions, with the children present that the user may see: one query
    for all of them. Nobody but doctors and the registry's keepers is told who came."""
    rows = [SessionRow(session=s) for s in sessions]
    acc = account(user)
    if acc is None or not rows or not records_health_sessions(acc):
        return rows
    through = HealthSession.children.through
    by_session: dict[int, list[Child]] = defaultdict(list)
    links = (
        through.objects.filter(
            healthsession_id__in=[r.session.pk for r in rows],
            child_id__in=children_for_user(acc).values("pk"),
        )
        .select_related("child", "child__village")
        .order_by("child__village__name", "child_id")
    )
    for link in links:
        by_session[link.healthsession_id].append(link.child)
    for row in rows:
        row.children = by_session.get(row.session.pk, [])
    return rows


@dataclass(frozen=True)
class SessionFigure:
    """One township's (or village's) health education over a period."""

    area: Area
    sessions: int
    attendances: int  # children present, counted once per session
    children: int  # different children who came
    others: int  # other people present


def health_session_figures(
    user: User, *, since: date, until: date
) -> tuple[list[SessionFigure], SessionFigure | None]:
    """Sessions and attendance in the period per township of a county administrator's county,
    or per village of a supervisor's township, with the whole area's total. Sessions count
    where they were held for (their township or village); nobody else gets figures."""
    acc = account(user)
    if acc is None or not sees_session_figures(acc) or acc.area is None:
        return [], None
    top = acc.area
    level = Area.Level.TOWNSHIP if top.level == Area.Level.COUNTY else Area.Level.VILLAGE
    parts = list(areas_for_user(acc).filter(level=level).order_by("code"))
    base = HealthSession.objects.filter(
        held_on__gte=since, held_on__lte=until, area__code__startswith=top.code
    )
    through = HealthSession.children.through
    links = through.objects.filter(
        healthsession__in=base.values("pk"),
    )

    def figure(area: Area, code: str) -> SessionFigure:
        here = base.filter(area__code__startswith=code)
        totals = here.aggregate(n=Count("pk"), others=Sum("other_attendees"))
        came = links.filter(healthsession__area__code__startswith=code).aggregate(
            n=Count("pk"), children=Count("child_id", distinct=True)
        )
        return SessionFigure(
            area=area,
            sessions=totals["n"] or 0,
            attendances=came["n"] or 0,
            children=came["children"] or 0,
            others=totals["others"] or 0,
        )

    return [figure(a, a.code) for a in parts], figure(top, top.code)


# --- study help and interests ----------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One dated thing on a child's learning timeline."""

    day: date
    kind: str  # "goal", "note", "achieved", "dropped" or "interest"
    goal: LearningGoal | None = None
    note: LearningNote | None = None
    activity: InterestActivity | None = None


@dataclass
class ChildLearning:
    """What the learning section of a child's page shows to one of the child's team."""

    goals: list[LearningGoal] = field(default_factory=list)
    activities: list[InterestActivity] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    interests: list[tuple[str, int]] = field(default_factory=list)  # interest, activities
    may_write: bool = False

    @property
    def active_goals(self) -> list[LearningGoal]:
        return [g for g in self.goals if g.state == LearningGoal.State.ACTIVE]


def learning_goals_for_child(user: User, child: Child) -> QuerySet[LearningGoal]:
    """The child's goals, working-on first then newest, each with its notes (newest first)."""
    if not sees_learning(user, child):
        return LearningGoal.objects.none()
    notes = LearningNote.objects.select_related("written_by").order_by("-noted_on", "-pk")
    return (
        LearningGoal.objects.filter(child=child)
        .select_related("set_by", "carer")
        .prefetch_related(Prefetch("notes", queryset=notes))
        .order_by("-started_on", "-pk")
    )


def interest_activities_for_child(user: User, child: Child) -> QuerySet[InterestActivity]:
    if not sees_learning(user, child):
        return InterestActivity.objects.none()
    return (
        InterestActivity.objects.filter(child=child)
        .select_related("written_by")
        .order_by("-done_on", "-pk")
    )


def _timeline(
    goals: Sequence[LearningGoal], activities: Sequence[InterestActivity], limit: int
) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for goal in goals:
        entries.append(TimelineEntry(day=goal.started_on, kind="goal", goal=goal))
        if goal.ended_on is not None:
            entries.append(TimelineEntry(day=goal.ended_on, kind=goal.state, goal=goal))
        entries += [
            TimelineEntry(day=n.noted_on, kind="note", goal=goal, note=n) for n in goal.notes.all()
        ]
    entries += [TimelineEntry(day=a.done_on, kind="interest", activity=a) for a in activities]
    order = {"achieved": 0, "dropped": 0, "note": 1, "interest": 2, "goal": 3}
    entries.sort(key=lambda e: (e.day, -order[e.kind]), reverse=True)
    return entries[:limit]


def child_learning(user: User, child: Child, *, limit: int = 200) -> ChildLearning | None:
    """The child's learning goals with their notes, interest activities, and both merged into
    one timeline (newest first); None for anyone not on the child's team."""
    if not sees_learning(user, child):
        return None
    goals = list(learning_goals_for_child(user, child)[:limit])
    goals.sort(key=lambda g: g.state != LearningGoal.State.ACTIVE)
    activities = list(interest_activities_for_child(user, child)[:limit])
    counts: dict[str, int] = defaultdict(int)
    for a in activities:
        counts[a.interest] += 1
    return ChildLearning(
        goals=goals,
        activities=activities,
        timeline=_timeline(goals, activities, limit),
        interests=sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])),
        may_write=may_write_learning(user, child),
    )


def session_schools(user: User) -> QuerySet[Organisation]:
    """The schools a session may be held for: those of the user's county."""
    acc = account(user)
    county = county_of_user(acc) if acc is not None else None
    if county is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        kind=Organisation.Kind.SCHOOL, area__code__startswith=county.code[:6]
    ).order_by("name", "pk")
