"""Reads the daily-care pages and the API share, on top of daily care's own selectors: which
kinds of contact a user may log for a child, a wish or a task as the user may reach it, and the
care sections of a child's page. Every child comes from the access layer; health and screening
data only through `care.selectors`, which give nothing to officers and volunteers. Who may do
what is asked of the predicates beside daily care's services (`care.services`), never decided
here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet

from care365.accounts.access import children_for_user
from care365.accounts.models import Role, User
from care365.care import access, plans, selectors
from care365.care.charts import Chart, growth_charts
from care365.care.models import (
    Contact,
    ContactKind,
    Examination,
    HealthSession,
    RiskScore,
    Screening,
    Wish,
)
from care365.registry.models import Child

# The kind a role's log form starts on: what the role mainly logs.
DEFAULT_KIND: dict[str, str] = {
    Role.VOLUNTEER: ContactKind.VOLUNTEER_VISIT,
    Role.POLICE: ContactKind.SAFETY_CHECK,
    Role.DOCTOR: ContactKind.CONSULTATION,
    Role.DIRECTOR: ContactKind.HOME_VISIT,
    Role.SUPERVISOR: ContactKind.HOME_VISIT,
}
RECENT_CONTACTS = 10


def loggable_kinds(user: User, child: Child) -> list[str]:
    """The kinds of contact the user may log for this child (`access.contact_kinds_allowed`),
    the role's own kind first."""
    kinds = access.contact_kinds_allowed(user, child)
    first = DEFAULT_KIND.get(user.role)
    return sorted(kinds, key=lambda k: (k != first, ContactKind.values.index(k)))


def kind_for(kinds: list[str], wanted: str | None) -> str:
    """The kind the form opens on: the one asked for (a due list's row) if the user may log it."""
    if wanted in kinds:
        return str(wanted)
    return kinds[0]


def contacts_count_for_child(user: User, child: Child) -> int:
    return Contact.objects.filter(
        child=child, kind__in=sorted(access.visible_contact_kinds(user))
    ).count()


def health_sessions_for_child(user: User, child: Child) -> QuerySet[HealthSession]:
    """The health education sessions the child came to (health roles only)."""
    if not access.sees_health(user):
        return HealthSession.objects.none()
    return (
        HealthSession.objects.filter(children=child)
        .select_related("area", "doctor")
        .order_by("-held_on", "-pk")
    )


@dataclass(frozen=True)
class ConsentHelp:
    """Whether the guardian's consent to health examinations and screening holds, and if not,
    the way forward for this user: the consent form on the child's page (`may_record`), or the
    names of those who record it (the village's children's director; the township supervisor
    when the village has none)."""

    holds: bool
    may_record: bool = False
    keepers: tuple[str, ...] = ()


def health_consent_help(user: User, child: Child) -> ConsentHelp:
    if access.health_consent_holds(child):
        return ConsentHelp(holds=True)
    if access.may_record_consent(user, child):
        return ConsentHelp(holds=False, may_record=True)
    keepers: list[User] = []
    for role, area_id in (
        (Role.DIRECTOR, child.village_id),
        (Role.SUPERVISOR, child.village.parent_id),
    ):
        if area_id is not None:
            keepers = list(User.objects.filter(is_active=True, role=role, area_id=area_id))
        if keepers:
            break
    names = tuple(n for n in (u.get_full_name().strip() for u in keepers) if n)
    return ConsentHelp(holds=False, keepers=names)


@dataclass
class ChildCare:
    """What the care sections of a child's page show to one user."""

    kinds: list[str] = field(default_factory=list)  # what the user may log
    contacts: list[Contact] = field(default_factory=list)
    coverage: plans.PlanCoverage | None = None
    due: list[selectors.DueItem] = field(default_factory=list)
    sees_health: bool = False
    examinations: list[Examination] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    sessions: list[HealthSession] = field(default_factory=list)
    screenings: list[Screening] = field(default_factory=list)
    may_screen: bool = False
    may_examine: bool = False
    consent: ConsentHelp | None = None  # for whoever enters examinations or screenings
    risk: RiskScore | None = None
    wishes: list[tuple[Wish, list[str]]] = field(default_factory=list)  # with the user's steps
    may_post_wish: bool = False


def child_care(user: User, child: Child, today: date) -> ChildCare:
    """The care sections of the child's page, each within what the user's role may read: a
    volunteer gets the volunteers' visits and their 365 figure, and nothing of health."""
    care = ChildCare(kinds=loggable_kinds(user, child))
    care.contacts = list(selectors.contacts_for_child(user, child, limit=RECENT_CONTACTS))
    care.coverage = selectors.coverage_for_child(user, child, today)
    mine = access.RESPONSIBLE.get(user.role, frozenset())
    if child.is_active and mine:
        care.due = selectors.plan_status(children_for_user(user).filter(pk=child.pk), mine, today)
    care.sees_health = access.sees_health(user)
    if care.sees_health:
        care.examinations = list(selectors.examinations_for_child(user, child))
        care.charts = growth_charts(child.sex, selectors.growth_points(user, child))
        care.sessions = list(health_sessions_for_child(user, child)[:10])
        care.screenings = list(selectors.screenings_for_child(user, child))
        care.may_screen = child.is_active and access.may_screen(user, child)
        care.may_examine = access.may_examine(user, child)
        if care.may_examine or care.may_screen:
            care.consent = health_consent_help(user, child)
    care.risk = selectors.risk_for_child(user, child)
    care.wishes = [
        (wish, access.wish_steps_allowed(user, wish))
        for wish in selectors.wishes_for_child(user, child).exclude(state=Wish.State.WITHDRAWN)[:10]
    ]
    care.may_post_wish = access.may_post_wish(user, child)
    return care
