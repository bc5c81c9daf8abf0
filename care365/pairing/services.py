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
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.access import county_for_admin, in_county
from care365.accounts.models import User
from care365.areas.geo import haversine_m
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
from care365.registry.hooks import children_changed_now
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
    # A new carer's plan starts today: the children's next-due dates move in this transaction.
    children_changed_now(line.child_id for line in lines)
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
    return _pairings_end(ending, EndReason.CONSENT_WITHDRAWN)


# A county administrator's hand on pairing: a carer assigned by hand, and a carer who stops. ----


def _county_admin(actor: User, area: Area) -> Area:
    """The actor's county if `area` lies in it and the actor administers it; else refused."""
    county = county_for_admin(actor)
    if county is None or not in_county(county, area):
        raise PermissionDenied
    return county


def _volunteer_eligible(carer: Carer, county: Area, today: date) -> bool:
    days = pairing_settings_for(county).background_check_valid_days
    return (
        carer.background_check == BackgroundCheck.PASSED
        and carer.background_checked_on is not None
        and carer.background_checked_on >= today - timedelta(days=days)
        and carer.trained_on is not None
    )


@transaction.atomic
def pairing_assign(*, actor: User, child: Child, carer: Carer) -> Pairing:
    """Assign a named carer to a child by hand, now, and keep the pair like a lock: the pair
    starts today (replacing the child's carer of that role, whose pairing ends as replaced), a
    lock rule makes every later proposal keep it, and the county's open proposal, if any, is
    brought up to date for that line (so it can still be approved).

    Refused by field ("carer") when the carer is not active, of another county, not vetted (a
    volunteer), forbidden for this child, or full — counting the children they have today and
    those the open proposal gives them — or when a volunteer lacks the guardian's consent:
    raise the carer's capacity first (`carer_update`)."""
    county = _county_admin(actor, child.village)
    today = timezone.localdate()
    if not child.is_active:
        raise ValidationError(_("This child has left the registry."), code="exited")
    locked = Carer.objects.select_for_update().filter(pk=carer.pk).first()
    if locked is None or not in_county(county, carer.organisation.area):
        raise ValidationError({"carer": _("Choose a carer of your county.")})
    carer = locked
    role = carer.role
    if not carer.active:
        raise ValidationError({"carer": _("This carer is not active.")})
    if role == CarerRole.VOLUNTEER:
        if not _volunteer_eligible(carer, county, today):
            raise ValidationError(
                {"carer": _("This volunteer's background check or training is not recorded.")}
            )
        if not Consent.objects.filter(
            child=child, purpose=ConsentPurpose.VOLUNTEER, withdrawn_on__isnull=True
        ).exists():
            message = _("The guardian has not consented to a volunteer.")
            raise ValidationError({"carer": ValidationError(message, code="consent")})
    if PairRule.objects.filter(
        child=child, role=role, carer=carer, kind=PairRule.Kind.FORBID
    ).exists():
        raise ValidationError(
            {"carer": _("This pair is forbidden: remove the rule on the child's page first.")}
        )
    current = Pairing.objects.select_for_update().filter(child=child, role=role, until=None).first()
    run = (
        PairingRun.objects.select_for_update()
        .filter(county=county, state=PairingRun.State.PROPOSED)
        .first()
    )
    if current is None or current.carer_id != carer.pk:
        load = Pairing.objects.filter(carer=carer, until=None).exclude(child=child).count()
        planned = (
            ProposedPair.objects.filter(run=run, carer=carer).exclude(child=child).count()
            if run is not None
            else 0
        )
        if max(load, planned) >= carer.capacity:
            message = _(
                "%(name)s is full (%(count)d of %(capacity)d children): raise their capacity first."
            ) % {"name": carer.name, "count": max(load, planned), "capacity": carer.capacity}
            raise ValidationError({"carer": ValidationError(message, code="capacity")})
    PairRule.objects.filter(child=child, role=role, carer=carer).delete()
    PairRule.objects.filter(child=child, role=role, kind=PairRule.Kind.LOCK).delete()
    PairRule.objects.create(
        child=child, role=role, carer=carer, kind=PairRule.Kind.LOCK, created_by_id=actor.pk
    )
    gained: Counter[int] = Counter()
    lost: Counter[int] = Counter()
    if current is not None and current.carer_id == carer.pk:
        pairing = current
    else:
        if current is not None:
            current.until, current.end_reason = today, EndReason.REPLACED
            current.save(update_fields=["until", "end_reason"])
            lost[current.carer_id] += 1
        pairing = Pairing.objects.create(
            child=child, role=role, carer=carer, since=today, reasons=["locked", "manual"]
        )
        gained[carer.pk] += 1
    if run is not None:
        _proposal_line_assigned(run, child, carer)
    _tell_carers(gained, lost)
    children_changed_now([child.pk])
    audit(actor=actor, action="pairing_assign", obj=child, note=f"{role} {carer.pk}")
    return pairing


def _proposal_line_assigned(run: PairingRun, child: Child, carer: Carer) -> None:
    """The open proposal's line for this child and role now keeps the carer assigned by hand
    (its figures follow), so that approving it neither undoes the assignment nor is refused
    as out of date."""
    line = ProposedPair.objects.filter(run=run, child=child, role=carer.role).first()
    outcomes = run.figures.get("outcomes", {}).get(carer.role)
    if line is None:
        return
    if isinstance(outcomes, dict) and outcomes.get(line.outcome):
        outcomes[line.outcome] -= 1
        outcomes[Outcome.KEPT] = outcomes.get(Outcome.KEPT, 0) + 1
    village = child.village
    line.carer, line.previous, line.outcome = carer, carer, Outcome.KEPT
    line.unpaired_reason, line.cost, line.reasons = "", 0, ["locked", "manual"]
    line.distance_m = haversine_m(
        village.latitude, village.longitude, carer.latitude, carer.longitude
    )
    line.save()
    run.save(update_fields=["figures"])


@transaction.atomic
def carer_deactivate(*, actor: User, carer: Carer) -> int:
    """A carer stops serving (moved away, retired, left the group): the carer is made inactive,
    each of their pairings ends today ("the carer stopped serving"), so their children show as
    gaps for the next pairing run, and their locks go (their forbids stay). The county's open
    proposal is withdrawn, since it may pair children with them: propose again. The carer, and
    every child whose carer they were, is told. Their sign-in, if any, stays until deactivated
    on the users page. Returns the number of pairings ended."""
    county = _county_admin(actor, carer.organisation.area)
    Carer.objects.select_for_update().filter(pk=carer.pk).first()
    if not carer.active:
        return 0
    ended = _pairings_end(
        Pairing.objects.filter(carer=carer, until__isnull=True), EndReason.CARER_LEFT
    )
    PairRule.objects.filter(carer=carer, kind=PairRule.Kind.LOCK).delete()
    PairingRun.objects.filter(county=county, state=PairingRun.State.PROPOSED).update(
        state=PairingRun.State.SUPERSEDED
    )
    carer.active = False
    carer.save(update_fields=["active"])
    audit(actor=actor, action="carer_deactivate", obj=carer, note=f"{ended} pairing(s) ended")
    return ended


@transaction.atomic
def carer_reactivate(*, actor: User, carer: Carer) -> bool:
    """A carer serves again: the next pairing run may pair them (their old pairings stay
    ended). Returns False if they were active already."""
    _county_admin(actor, carer.organisation.area)
    if carer.active:
        return False
    carer.active = True
    carer.save(update_fields=["active"])
    audit(actor=actor, action="carer_reactivate", obj=carer)
    return True


def _pairings_end(pairings: QuerySet[Pairing], reason: str) -> int:
    """End these open pairings today with `reason` and tell their carers: the one way pairings
    end outside an approval (a carer who stops, a consent withdrawn)."""
    ending = list(pairings.values_list("carer_id", "child_id"))
    lost = Counter(carer_id for carer_id, _child_id in ending)
    ended = pairings.update(until=timezone.localdate(), end_reason=reason)
    _tell_carers(Counter(), lost)
    children_changed_now(child_id for _carer_id, child_id in ending)
    return ended
