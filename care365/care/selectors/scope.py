"""Who is responsible for which children, and who may read what of daily care.

Every list starts from the access layer (`children_for_user`); these helpers narrow it to the
children a user is *responsible* for (a carer's paired children, the children of a director's or
supervisor's area; never a child opened by break-the-glass) and say which kinds of record the
user's role may read."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from care365.accounts.access import children_for_user, scope_village_ids
from care365.accounts.models import CARER_ROLES, REGISTRY_ROLES, Role, User
from care365.accounts.visibility import FieldGroup, groups_for
from care365.areas.models import Area
from care365.care.models import VISIBLE_TO, CareSettings, PlanKind
from care365.pairing.models import Pairing
from care365.registry.models import Child, Consent, ConsentPurpose

# The planned kinds each role answers for. Supervisors and county administrators oversee all.
RESPONSIBLE: dict[str, frozenset[str]] = {
    Role.VOLUNTEER: frozenset({PlanKind.VOLUNTEER_VISIT}),
    Role.POLICE: frozenset({PlanKind.SAFETY_CHECK}),
    Role.DOCTOR: frozenset({PlanKind.EXAMINATION}),
    Role.DIRECTOR: frozenset({PlanKind.HOME_VISIT, PlanKind.PARENT_CONTACT}),
    Role.SUPERVISOR: frozenset(PlanKind.values),
    Role.COUNTY_ADMIN: frozenset(PlanKind.values),
}

# The carer role whose pairing starts each carer kind's plan.
PLAN_CARER_ROLE: dict[str, str] = {
    PlanKind.VOLUNTEER_VISIT: Role.VOLUNTEER,
    PlanKind.SAFETY_CHECK: Role.POLICE,
    PlanKind.EXAMINATION: Role.DOCTOR,
}


def account(user: User) -> User | None:
    if not isinstance(user, User) or not user.is_active or not user.role:
        return None
    return user


def sees_health(user: User) -> bool:
    """Examinations, growth, screenings, referral tasks and the risk list's health reasons:
    doctors and the registry's keepers; never officers or volunteers."""
    acc = account(user)
    return acc is not None and FieldGroup.HEALTH in groups_for(acc)


def visible_contact_kinds(user: User) -> frozenset[str]:
    acc = account(user)
    return VISIBLE_TO.get(acc.role, frozenset()) if acc is not None else frozenset()


def responsible_children(user: User) -> QuerySet[Child]:
    """Active children the user answers for: from the access layer, without break-the-glass."""
    acc = account(user)
    if acc is None:
        return Child.objects.none()
    children = children_for_user(acc).filter(exited_on__isnull=True)
    if acc.role in REGISTRY_ROLES:
        return children.filter(village_id__in=scope_village_ids(acc) or [])
    if acc.role in CARER_ROLES and acc.carer_id is not None:
        return children.filter(
            pk__in=Pairing.objects.filter(carer_id=acc.carer_id, until__isnull=True).values(
                "child_id"
            )
        )
    return Child.objects.none()


def is_paired(user: User, child: Child) -> bool:
    """Whether the user is the child's carer today (an open pairing in the user's role; for a
    volunteer, while the guardian's consent holds)."""
    if user.role not in CARER_ROLES or user.carer_id is None:
        return False
    paired = Pairing.objects.filter(
        child=child, carer_id=user.carer_id, role=user.role, until__isnull=True
    ).exists()
    if paired and user.role == Role.VOLUNTEER:
        return Consent.objects.filter(
            child=child, purpose=ConsentPurpose.VOLUNTEER, withdrawn_on__isnull=True
        ).exists()
    return paired


def in_area(user: User, child: Child) -> bool:
    """Whether the child lives in a director's, supervisor's or county administrator's area."""
    if user.role not in REGISTRY_ROLES:
        return False
    return child.village_id in (scope_village_ids(user) or [])


def county_of_village(village: Area) -> Area:
    area = village
    while area.level != Area.Level.COUNTY and area.parent is not None:
        area = area.parent
    return area


def care_settings_get(county_id: int) -> CareSettings:
    """The county's settings, or the defaults (an unsaved row) when it has none."""
    row = CareSettings.objects.filter(county_id=county_id).first()
    return row if row is not None else CareSettings(county_id=county_id)


def care_settings_many(county_ids: Iterable[int | None]) -> dict[int, CareSettings]:
    ids = {c for c in county_ids if c is not None}
    found = {s.county_id: s for s in CareSettings.objects.filter(county_id__in=ids)}
    return {c: found.get(c) or CareSettings(county_id=c) for c in ids}
