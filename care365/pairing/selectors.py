"""Reads of pairing for pages, the API and reports; children always through the access layer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from math import ceil
from statistics import median

from django.db.models import Count, F, QuerySet
from django.utils import timezone

from care365.accounts.access import children_for_user
from care365.accounts.models import User
from care365.accounts.visibility import TeamMember
from care365.areas.geo import haversine_km
from care365.areas.models import Area
from care365.carers.models import BackgroundCheck, Carer, CarerRole
from care365.pairing.models import (
    Outcome,
    Pairing,
    PairingRun,
    PairingSettings,
    PairRule,
    ProposedPair,
    UnpairedReason,
)
from care365.registry.models import Child, Consent


def run_latest(county: Area) -> PairingRun | None:
    return PairingRun.objects.filter(county=county).order_by("-created_at", "-pk").first()


def run_lines(
    user: User, run: PairingRun, *, outcome: str | None = None, role: str | None = None
) -> QuerySet[ProposedPair]:
    """A proposal's lines for children the user may see, changes first."""
    lines = ProposedPair.objects.filter(run=run, child__in=children_for_user(user))
    if outcome:
        lines = lines.filter(outcome=outcome)
    if role:
        lines = lines.filter(role=role)
    return lines.select_related("child", "child__village", "carer", "previous").order_by(
        "child__village__code", "child_id", "role"
    )


def rules_for(run: PairingRun, lines: list[ProposedPair]) -> dict[tuple[int, str, int], str]:
    """(child, role, carer) -> "lock" / "forbid" for the lines shown."""
    children = {line.child_id for line in lines}
    return {
        (r.child_id, r.role, r.carer_id): r.kind
        for r in PairRule.objects.filter(child_id__in=children)
    }


@dataclass(frozen=True)
class RecruitmentNeed:
    township: Area
    role: str
    no_carer_in_reach: int  # children with nobody eligible in reach
    carers_needed: int  # new carers of typical capacity for those children
    capacity_short: int  # children in reach of carers who are all full: places to add


def recruitment_plan(run: PairingRun) -> list[RecruitmentNeed]:
    """Per township and role, what would pair every child the proposal leaves without a carer:
    new carers where nobody is in reach (at the role's typical capacity), more places where
    everyone in reach is full. Children without a guardian's consent need consent, not carers."""
    counts = (
        ProposedPair.objects.filter(run=run, outcome=Outcome.UNPAIRED)
        .exclude(unpaired_reason=UnpairedReason.NO_CONSENT)
        .values("child__village__parent", "role", "unpaired_reason")
        .annotate(n=Count("pk"))
    )
    typical = {
        role: max(
            1,
            int(
                median(
                    Carer.objects.filter(
                        role=role,
                        active=True,
                        organisation__area__code__startswith=run.county.code[:6],
                    ).values_list("capacity", flat=True)
                    or [1]
                )
            ),
        )
        for role in CarerRole.values
    }
    needs: dict[tuple[int | None, str], list[int]] = {}
    for row in counts:
        key = (row["child__village__parent"], row["role"])
        slot = needs.setdefault(key, [0, 0])
        if row["unpaired_reason"] == UnpairedReason.NO_ELIGIBLE_IN_RANGE:
            slot[0] += row["n"]
        else:
            slot[1] += row["n"]
    townships = Area.objects.in_bulk({township for township, _role in needs})
    plan = [
        RecruitmentNeed(
            township=townships[township],
            role=role,
            no_carer_in_reach=far,
            carers_needed=ceil(far / typical[role]) if far else 0,
            capacity_short=full,
        )
        for (township, role), (far, full) in needs.items()
        if township in townships
    ]
    return sorted(plan, key=lambda n: (n.township.code, CarerRole.values.index(n.role)))


def child_team(child: Child) -> list[Pairing]:
    """The child's carers now, one per role at most; call with a child from the access layer."""
    order = {role: i for i, role in enumerate(CarerRole.values)}
    team = Pairing.objects.filter(child=child, until__isnull=True).select_related(
        "carer", "carer__organisation"
    )
    return sorted(team, key=lambda p: order[p.role])


def child_pairing_of_role(child: Child, role: str) -> Pairing | None:
    """The child's open pairing of one role, if any; call with a child from the access layer."""
    return (
        Pairing.objects.filter(child=child, role=role, until__isnull=True)
        .select_related("carer")
        .first()
    )


def teams_of(children: Iterable[Child]) -> dict[int, list[TeamMember]]:
    """The carers of each of these children now (children from the access layer, a page of a
    list), by child id, in the order of the roles: one query for all of them."""
    order = {role: i for i, role in enumerate(CarerRole.values)}
    ids = [child.pk for child in children]
    teams: dict[int, list[TeamMember]] = {pk: [] for pk in ids}
    rows = Pairing.objects.filter(child_id__in=ids, until__isnull=True).values_list(
        "child_id", "role", "carer__name"
    )
    for child_id, role, name in sorted(rows, key=lambda row: (row[0], order.get(row[1], 99))):
        teams[child_id].append(TeamMember(role=role, name=name))
    return teams


def child_rules(child: Child) -> list[PairRule]:
    return list(PairRule.objects.filter(child=child).select_related("carer"))


@dataclass(frozen=True)
class Coverage:
    role: str
    paired: int
    children: int

    @property
    def percent(self) -> float:
        return 100 * self.paired / self.children if self.children else 0.0


def coverage(county: Area) -> list[Coverage]:
    """Per role: how many of the county's active children have a carer of that role today."""
    active = Child.objects.filter(exited_on__isnull=True, village__code__startswith=county.code[:6])
    total = active.count()
    paired = dict(
        Pairing.objects.filter(until__isnull=True, child__in=active)
        .values_list("role")
        .annotate(n=Count("pk"))
        .values_list("role", "n")
    )
    return [Coverage(role, paired.get(role, 0), total) for role in CarerRole.values]


def child_consents(child: Child) -> list[Consent]:
    """The child's consents, open ones first; call with a child from the access layer."""
    return list(
        Consent.objects.filter(child=child)
        .select_related("recorded_by")
        .order_by(F("withdrawn_on").desc(nulls_first=True), "purpose", "-given_on")
    )


def rule_get_for_admin(county: Area, rule_id: int) -> PairRule | None:
    """A pair rule on a child of the county, for its administrator."""
    return (
        PairRule.objects.filter(pk=rule_id, child__village__code__startswith=county.code[:6])
        .select_related("carer")
        .first()
    )


def carer_load(carer: Carer) -> int:
    """How many children the carer has today (open pairings); call with a carer from the
    access layer."""
    return Pairing.objects.filter(carer=carer, until__isnull=True).count()


@dataclass(frozen=True)
class Candidate:
    """A carer who could be assigned to a child by hand, as the assignment page lists them."""

    carer: Carer
    km: float
    load: int  # children today
    in_reach: bool  # within the county's farthest distance for the role
    eligible: bool  # active (and, for a volunteer, vetted and trained)
    serves_village: bool

    @property
    def full(self) -> bool:
        return self.load >= self.carer.capacity


def assign_candidates(county: Area, child: Child, role: str, *, limit: int = 15) -> list[Candidate]:
    """The county's active carers of `role`, nearest to the child's village first, with how
    many children each has today and whether they are full: for assigning one by hand and, for
    a full one, raising their capacity. Call with a child from the access layer."""
    settings = PairingSettings.objects.filter(county=county).first() or PairingSettings()
    today = timezone.localdate()
    valid_since = today - timedelta(days=settings.background_check_valid_days)
    village = child.village
    carers = list(
        Carer.objects.filter(
            role=role, active=True, organisation__area__code__startswith=county.code
        ).select_related("organisation")
    )
    near = sorted(
        carers,
        key=lambda c: haversine_km(village.latitude, village.longitude, c.latitude, c.longitude),
    )[:limit]
    ids = [c.pk for c in near]
    loads = dict(
        Pairing.objects.filter(carer_id__in=ids, until__isnull=True)
        .values_list("carer_id")
        .annotate(n=Count("pk"))
        .values_list("carer_id", "n")
    )
    serving = set(
        Carer.service_areas.through.objects.filter(
            carer_id__in=ids, area_id__in=[village.pk, village.parent_id]
        ).values_list("carer_id", flat=True)
    )
    rows = []
    for carer in near:
        km = haversine_km(village.latitude, village.longitude, carer.latitude, carer.longitude)
        vetted = role != CarerRole.VOLUNTEER or (
            carer.background_check == BackgroundCheck.PASSED
            and carer.background_checked_on is not None
            and carer.background_checked_on >= valid_since
            and carer.trained_on is not None
        )
        rows.append(
            Candidate(
                carer=carer,
                km=round(km, 1),
                load=loads.get(carer.pk, 0),
                in_reach=km <= settings.max_km(role),
                eligible=vetted,
                serves_village=carer.pk in serving,
            )
        )
    return rows


@dataclass(frozen=True)
class ApprovalSummary:
    """What approving a proposal changes, for its confirmation page."""

    new_pairs: int  # pairs that start (new and changed lines)
    ended_pairs: int  # today's pairs that end (changed, and unpaired lines with a carer today)
    children_unpaired: int  # children left without a carer of at least one role
    lines_unpaired: int
    carers_told: int


def approval_summary(run: PairingRun) -> ApprovalSummary:
    """Counts of what an approval would do, by the proposal's lines (a few aggregate queries)."""
    lines = ProposedPair.objects.filter(run=run, child__exited_on__isnull=True)
    starting = lines.filter(outcome__in=[Outcome.NEW, Outcome.CHANGED])
    ending = lines.filter(outcome__in=[Outcome.CHANGED, Outcome.UNPAIRED], previous__isnull=False)
    unpaired = lines.filter(outcome=Outcome.UNPAIRED)
    told = set(starting.values_list("carer_id", flat=True)) | set(
        ending.values_list("previous_id", flat=True)
    )
    return ApprovalSummary(
        new_pairs=starting.count(),
        ended_pairs=ending.count(),
        children_unpaired=unpaired.values("child_id").distinct().count(),
        lines_unpaired=unpaired.count(),
        carers_told=len(told - {None}),
    )
