"""Every write to pairing: proposing, locking and forbidding pairs, approving a proposal.

A proposal is computed by the pure solver (`care365.pairing.solver`) from the county's active
children and carers and stored as a difference from today's pairings. Approving applies it in one
transaction; a proposal made before today's pairings changed is refused as out of date, so an
approval never undoes somebody else's.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.areas.models import Area
from care365.carers.models import BackgroundCheck, Carer, CarerRole
from care365.core.audit import audit
from care365.core.models import Notice
from care365.pairing import solver
from care365.pairing.models import (
    EndReason,
    Outcome,
    Pairing,
    PairingRun,
    PairingSettings,
    PairRule,
    ProposedPair,
)
from care365.registry import services as registry_services
from care365.registry.models import Child, Consent, ConsentPurpose

ROLES = tuple(CarerRole.values)


def pairing_settings_for(county: Area) -> PairingSettings:
    settings, _created = PairingSettings.objects.get_or_create(county=county)
    return settings


@transaction.atomic
def pairing_settings_update(*, actor: AbstractBaseUser, settings_row: PairingSettings) -> None:
    """Save a county's pairing settings (validated by the caller's form); the weights are checked
    by the solver's own rules so that a proposal never fails on them."""
    try:
        solver.instance_from_dict(
            {"params": {"weights": settings_row.weights}, "children": [], "carers": []}
        )
    except solver.InstanceError as exc:
        raise ValidationError({"weights": str(exc)}) from exc
    settings_row.full_clean()
    settings_row.save()
    audit(actor=actor, action="pairing_settings", obj=settings_row.county)


def _county_of(area: Area) -> Area:
    while area.level != Area.Level.COUNTY and area.parent is not None:
        area = area.parent
    return area


@dataclass(frozen=True)
class CountyData:
    """What the solver needs, read from the database in a few queries."""

    instance: dict[str, Any]
    current: dict[tuple[int, str], int]  # (child, role) -> carer, today's open pairings


def county_instance(county: Area, *, today: date | None = None) -> CountyData:
    """The county's active children and carers in the solver's instance format (docs/pairing.md)."""
    today = today or timezone.localdate()
    settings = pairing_settings_for(county)
    villages = {
        a.pk: a
        for a in Area.objects.filter(level=Area.Level.VILLAGE, code__startswith=county.code[:6])
    }
    children = list(
        Child.objects.filter(village_id__in=list(villages), exited_on__isnull=True)
        .order_by("pk")
        .values("pk", "village_id", "sex", "birth_date", "interests", "languages")
    )
    consented = set(
        Consent.objects.filter(
            purpose=ConsentPurpose.VOLUNTEER, withdrawn_on__isnull=True, child__exited_on=None
        )
        .filter(child__village_id__in=list(villages))
        .values_list("child_id", flat=True)
    )
    current: dict[tuple[int, str], int] = {}
    for child_id, role, carer_id in Pairing.objects.filter(
        until__isnull=True, child__village_id__in=list(villages)
    ).values_list("child_id", "role", "carer_id"):
        current[(child_id, role)] = carer_id
    valid_since = today - timedelta(days=settings.background_check_valid_days)
    carers = list(
        Carer.objects.filter(organisation__area__code__startswith=county.code[:6]).order_by("pk")
    )
    served: dict[int, list[str]] = defaultdict(list)
    village_codes = [(v.code, v.pk) for v in villages.values()]
    for carer_id, area_code in Carer.service_areas.through.objects.filter(
        carer_id__in=[c.pk for c in carers]
    ).values_list("carer_id", "area__code"):
        served[carer_id].extend(code for code, _pk in village_codes if code.startswith(area_code))

    def eligible(carer: Carer) -> bool:
        if not carer.active:
            return False
        if carer.role != CarerRole.VOLUNTEER:
            return True
        return (
            carer.background_check == BackgroundCheck.PASSED
            and carer.background_checked_on is not None
            and carer.background_checked_on >= valid_since
            and carer.trained_on is not None
        )

    is_eligible = {carer.pk: eligible(carer) for carer in carers}
    locked, forbidden = _rules(villages, {c.pk: c for c in carers}, is_eligible, consented)
    instance = {
        "params": {
            "objective": "full",
            "max_distance_km": {role: settings.max_km(role) for role in ROLES},
            "weights": dict(settings.weights or {}),
        },
        "children": [
            {
                "id": str(c["pk"]),
                "lat": villages[c["village_id"]].latitude,
                "lon": villages[c["village_id"]].longitude,
                "area": villages[c["village_id"]].code,
                "sex": c["sex"],
                "age": _age(c["birth_date"], today),
                "interests": list(c["interests"] or []),
                "languages": list(c["languages"] or []),
                "consent": c["pk"] in consented,
                "current": {
                    role: str(current[(c["pk"], role)])
                    for role in ROLES
                    if (c["pk"], role) in current
                },
                "locked": locked.get(c["pk"], {}),
                "forbidden": {r: list(v) for r, v in forbidden.get(c["pk"], {}).items()},
            }
            for c in children
        ],
        "carers": [
            {
                "id": str(carer.pk),
                "role": carer.role,
                "lat": carer.latitude,
                "lon": carer.longitude,
                "capacity": carer.capacity,
                "sex": carer.sex,
                "skills": list(carer.skills or []),
                "languages": list(carer.languages or []),
                "eligible": is_eligible[carer.pk],
                "service_areas": served.get(carer.pk, []),
            }
            for carer in carers
        ],
    }
    return CountyData(instance=instance, current=current)


def _rules(
    villages: dict[int, Area],
    carers: dict[int, Carer],
    eligible: dict[int, bool],
    consented: set[int],
) -> tuple[dict[int, dict[str, str]], dict[int, dict[str, list[str]]]]:
    """Locks and forbidden pairs of the county's children, by child and role, as the solver
    takes them. A lock the solver could not keep never stops a proposal: a lock on a carer who
    no longer works in the county is left out, and so are the latest locks on a carer beyond
    their capacity (lowered after the locks were set); those children are paired afresh."""
    locked: dict[int, dict[str, str]] = defaultdict(dict)
    forbidden: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    held: Counter[int] = Counter()
    for child_id, role, carer_id, kind in (
        PairRule.objects.filter(child__village_id__in=list(villages))
        .order_by("pk")
        .values_list("child_id", "role", "carer_id", "kind")
    ):
        if kind != PairRule.Kind.LOCK:
            forbidden[child_id][role].append(str(carer_id))
            continue
        carer = carers.get(carer_id)
        if carer is None or carer.role != role:
            continue
        if eligible[carer_id] and (role != CarerRole.VOLUNTEER or child_id in consented):
            # The solver keeps this lock, so it counts against the carer's capacity.
            if held[carer_id] >= carer.capacity:
                continue
            held[carer_id] += 1
        locked[child_id][role] = str(carer_id)
    return locked, forbidden


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@transaction.atomic
def pairing_propose(
    *, actor: AbstractBaseUser | None, county: Area, today: date | None = None, workers: int = 1
) -> PairingRun:
    """Propose a carer of each role for every active child of the county.

    The proposal replaces the county's previous unapproved one. It is stored line by line as a
    difference from today's pairings: kept, new, changed, or without a carer (with the reason).
    """
    county = _county_of(county)
    started = time.perf_counter()
    data = county_instance(county, today=today)
    result = solver.solve(solver.instance_from_dict(data.instance), workers=workers)
    PairingRun.objects.select_for_update().filter(
        county=county, state=PairingRun.State.PROPOSED
    ).update(state=PairingRun.State.SUPERSEDED)
    run = PairingRun.objects.create(
        county=county, created_by_id=actor.pk if actor else None, params=data.instance["params"]
    )
    rows: list[ProposedPair] = []
    outcomes: Counter[tuple[str, str]] = Counter()
    for a in result.assignments:
        child_id, carer_id = int(a.child), int(a.carer)
        previous = data.current.get((child_id, a.role))
        outcome = (
            Outcome.NEW
            if previous is None
            else Outcome.KEPT
            if previous == carer_id
            else Outcome.CHANGED
        )
        outcomes[(a.role, outcome)] += 1
        rows.append(
            ProposedPair(
                run=run,
                child_id=child_id,
                role=a.role,
                carer_id=carer_id,
                previous_id=previous,
                outcome=outcome,
                cost=a.cost,
                distance_m=a.distance_m,
                reasons=list(a.reasons),
            )
        )
    for u in result.unpaired:
        child_id = int(u.child)
        outcomes[(u.role, Outcome.UNPAIRED)] += 1
        rows.append(
            ProposedPair(
                run=run,
                child_id=child_id,
                role=u.role,
                previous_id=data.current.get((child_id, u.role)),
                outcome=Outcome.UNPAIRED,
                unpaired_reason=u.reason,
            )
        )
    ProposedPair.objects.bulk_create(rows, batch_size=2000)
    run.figures = {
        "children": len(data.instance["children"]),
        "carers": len(data.instance["carers"]),
        "outcomes": {role: {o: outcomes[(role, o)] for o in Outcome.values} for role in ROLES},
        "total_cost": result.total_cost,
        "solver_seconds": round(result.seconds, 3),
        "seconds": round(time.perf_counter() - started, 3),
    }
    run.save(update_fields=["figures"])
    audit(actor=actor, action="pairing_propose", obj=run)
    return run


@transaction.atomic
def pairing_approve(*, actor: AbstractBaseUser | None, run: PairingRun) -> PairingRun:
    """Apply a proposal in one transaction: replaced pairings end with a reason, new ones start
    today, and every carer whose children changed is told. Refused when the proposal is no longer
    the open one or today's pairings changed after it was made. The actor is None when the
    system approves (the `pair` command without --user, the demo)."""
    today = timezone.localdate()
    claimed = PairingRun.objects.filter(pk=run.pk, state=PairingRun.State.PROPOSED).update(
        state=PairingRun.State.APPROVED, approved_at=timezone.now(), approved_by=actor
    )
    if not claimed:
        raise ValidationError(
            _("This proposal is no longer open: it was approved or replaced."), code="closed"
        )
    run.refresh_from_db()
    # Children who left the registry since the proposal get no carer: their lines are skipped
    # and their pairings end below with the others of children who left.
    every_line = list(ProposedPair.objects.filter(run=run, child__exited_on__isnull=True))
    open_now = {
        (p.child_id, p.role): p
        for p in Pairing.objects.select_for_update(of=("self",)).filter(
            until__isnull=True, child__village__code__startswith=run.county.code[:6]
        )
    }
    # Kept lines too: a pairing the proposal keeps may have ended since (consent withdrawn).
    for line in every_line:
        now = open_now.get((line.child_id, line.role))
        if (now.carer_id if now else None) != line.previous_id:
            raise ValidationError(
                _("Pairings changed after this proposal was made. Propose again."), code="stale"
            )
    lines = [line for line in every_line if line.outcome != Outcome.KEPT]
    gained: Counter[int] = Counter()
    lost: Counter[int] = Counter()
    ending: list[Pairing] = []
    starting: list[Pairing] = []
    for line in lines:
        now = open_now.get((line.child_id, line.role))
        if now is not None:
            now.until = today
            now.end_reason = EndReason.REPLACED if line.carer_id else EndReason.NO_LONGER_ELIGIBLE
            ending.append(now)
            lost[now.carer_id] += 1
        if line.carer_id is not None:
            starting.append(
                Pairing(
                    child_id=line.child_id,
                    role=line.role,
                    carer_id=line.carer_id,
                    since=today,
                    reasons=line.reasons,
                    run=run,
                )
            )
            gained[line.carer_id] += 1
    ended_exited = _end_pairings_of_exited_children(run.county, today, lost)
    Pairing.objects.bulk_update(ending, ["until", "end_reason"], batch_size=2000)
    try:
        Pairing.objects.bulk_create(starting, batch_size=2000)
    except IntegrityError as exc:  # a pairing opened meanwhile by another approval
        raise ValidationError(
            _("Pairings changed after this proposal was made. Propose again."), code="stale"
        ) from exc
    _tell_carers(gained, lost)
    run.figures = {
        **run.figures,
        "applied": {"started": len(starting), "ended": len(ending) + ended_exited},
    }
    run.save(update_fields=["figures"])
    audit(actor=actor, action="pairing_approve", obj=run, note=f"{len(starting)} new")
    return run


def _end_pairings_of_exited_children(county: Area, today: date, lost: Counter[int]) -> int:
    """Children who left the registry keep no carers."""
    stale = Pairing.objects.filter(
        until__isnull=True,
        child__exited_on__isnull=False,
        child__village__code__startswith=county.code[:6],
    )
    for carer_id in stale.values_list("carer_id", flat=True):
        lost[carer_id] += 1
    return stale.update(until=today, end_reason=EndReason.CHILD_EXITED)


def _tell_carers(gained: Counter[int], lost: Counter[int]) -> None:
    """One notice for each carer (with a login) whose children changed; no child is named."""
    carer_ids = set(gained) | set(lost)
    users = Carer.objects.filter(pk__in=carer_ids, user__isnull=False).values_list("pk", "user__pk")
    Notice.objects.bulk_create(
        [
            Notice(
                recipient_id=user_id,
                kind="pairing_changed",
                params={"added": gained[carer_id], "removed": lost[carer_id]},
                link="/",
            )
            for carer_id, user_id in users
        ]
    )


def pair_rule_set(*, actor: AbstractBaseUser, child: Child, carer: Carer, kind: str) -> PairRule:
    """Lock a pair (the solver keeps it) or forbid it (the solver never makes it). A new rule for
    the same pair replaces the old; locking a pair replaces the child's other lock of that role."""
    if kind not in PairRule.Kind.values:
        raise ValidationError({"kind": _("Choose lock or forbid.")})
    if not carer.active:
        raise ValidationError({"carer": _("This carer is not active.")})
    with transaction.atomic():
        if kind == PairRule.Kind.LOCK:
            Carer.objects.select_for_update().filter(pk=carer.pk).first()  # one lock at a time
            others = PairRule.objects.filter(carer=carer, kind=kind).exclude(child=child).count()
            if others >= carer.capacity:
                raise ValidationError(
                    {
                        "carer": _(
                            "This carer already has as many locked children as they can take "
                            "(%(count)d)."
                        )
                        % {"count": others}
                    },
                    code="capacity",
                )
        PairRule.objects.filter(child=child, role=carer.role, carer=carer).delete()
        if kind == PairRule.Kind.LOCK:
            PairRule.objects.filter(child=child, role=carer.role, kind=kind).delete()
        rule = PairRule.objects.create(
            child=child, role=carer.role, carer=carer, kind=kind, created_by_id=actor.pk
        )
        audit(actor=actor, action=f"pair_{kind}", obj=child, note=f"{carer.role} {carer.pk}")
    return rule


@transaction.atomic
def pair_rule_remove(*, actor: AbstractBaseUser, rule: PairRule) -> None:
    audit(actor=actor, action=f"pair_un{rule.kind}", obj=rule.child, note=rule.role)
    rule.delete()


@transaction.atomic
def consent_withdraw(
    *,
    actor: AbstractBaseUser,
    child: Child,
    purpose: str = ConsentPurpose.VOLUNTEER,
    on: date | None = None,
) -> int:
    """The guardian withdraws a consent, and what depended on it stops at once: withdrawing the
    consent to a volunteer ends the child's volunteer pairing. Returns the pairings ended."""
    registry_services.consent_withdraw(actor=actor, child=child, purpose=purpose, on=on)
    if purpose != ConsentPurpose.VOLUNTEER:
        return 0
    ending = Pairing.objects.filter(child=child, role=CarerRole.VOLUNTEER, until__isnull=True)
    lost = Counter(ending.values_list("carer_id", flat=True))
    ended = ending.update(until=timezone.localdate(), end_reason=EndReason.CONSENT_WITHDRAWN)
    _tell_carers(Counter(), lost)
    return ended
