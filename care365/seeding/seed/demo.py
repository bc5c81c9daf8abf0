"""The demo logins, one per role, each linked to real records of the seeded county."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from care365.accounts.models import AREA_ROLES, ORGANISATION_ROLES, Role, User
from care365.areas.models import Area
from care365.carers.models import BackgroundCheck, Carer, CarerRole, Organisation
from care365.pairing.models import Pairing, PairingRun, PairRule
from care365.pairing.services import (
    pair_rule_set,
    pairing_approve,
    pairing_propose,
    pairing_settings_for,
)
from care365.registry.models import Child, Consent, ConsentPurpose

# (username, role, Chinese role name from docs/architecture.md's glossary)
DEMO_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("admin", Role.COUNTY_ADMIN, "县民政局管理员"),
    ("supervisor", Role.SUPERVISOR, "儿童督导员"),
    ("director", Role.DIRECTOR, "儿童主任"),
    ("police", Role.POLICE, "民警"),
    ("doctor", Role.DOCTOR, "医生"),
    ("volunteer", Role.VOLUNTEER, "志愿者"),
    # Above the county: figures of the counties below them, never a child.
    ("prefecture", Role.PREFECTURE_OFFICIAL, "市民政局工作人员"),
    ("province", Role.PROVINCE_OFFICIAL, "省民政厅工作人员"),
    # The county's social-work agency: the referrals to it, nothing else of a child.
    ("agency", Role.ORG_STAFF, "社工机构工作人员"),
    # A teacher of the central school of the director's township: their school's roll only.
    ("teacher", Role.TEACHER, "教师"),
)
# The organisation each organisation login works for (the seeded county's own).
DEMO_ORGANISATION_KIND: dict[str, str] = {Role.ORG_STAFF: Organisation.Kind.SOCIAL_WORK}

# The names of the logins that have no carer record (family name, given name): pages name people,
# never their usernames. The carers' logins are named by their carer records.
DEMO_NAMES: dict[str, tuple[str, str]] = {
    "admin": ("吴", "建华"),
    "supervisor": ("蓝", "晓燕"),
    "director": ("雷", "秀芳"),
    "prefecture": ("周", "文斌"),
    "province": ("钟", "丽萍"),
    "agency": ("柳", "青"),
    "teacher": ("梅", "丽君"),
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    role_zh: str
    where: str  # the area or organisation the login is tied to


class DemoSetupError(Exception):
    """The database has no county with children and carers to link the demo logins to."""


def _carer_for(role: str, county: Area, township: Area, village: Area, username: str) -> Carer:
    """A carer of `role` working in the township who can be paired (a volunteer vetted within the
    county's validity period and trained), preferring, in order: the one already linked to the
    login while they have children, the one with the most children of the director's village,
    one with children, one who serves the village, the one who can take the most children."""
    carers = (
        Carer.objects.filter(role=role, active=True)
        .filter(Q(organisation__area=township) | Q(organisation__area__parent=township))
        .filter(Q(user__isnull=True) | Q(user__username=username))
    )
    if role == CarerRole.VOLUNTEER:
        valid_days = pairing_settings_for(county).background_check_valid_days
        carers = carers.filter(
            background_check=BackgroundCheck.PASSED,
            background_checked_on__gte=timezone.localdate() - timedelta(days=valid_days),
            trained_on__isnull=False,
        )
    candidates = list(
        carers.annotate(
            children=Count("pairings", filter=Q(pairings__until__isnull=True)),
            of_village=Count(
                "pairings",
                filter=Q(pairings__until__isnull=True, pairings__child__village=village),
            ),
        )
    )
    if not candidates:
        raise DemoSetupError(f"no {role} works in {township.code}: seed the county first")
    linked = User.objects.filter(username=username).values_list("carer_id", flat=True).first()
    serving = set(carers.filter(service_areas=village).values_list("pk", flat=True))
    return min(
        candidates,
        key=lambda c: (
            not (c.pk == linked and c.children),
            -c.of_village,
            not c.children,
            c.pk not in serving,
            -c.capacity,
            c.pk,
        ),
    )


def _county_paired(county: Area) -> bool:
    return Pairing.objects.filter(
        until__isnull=True, child__village__code__startswith=county.code[:6]
    ).exists()


def demo_pairing_ensure(county: Area, *, actor: User | None) -> PairingRun | None:
    """Pair the county's children, proposing and approving at once, unless some of them are
    paired already (then the pairing is the county admin's to change). Returns the approved
    proposal, or None when there was nothing to do."""
    if _county_paired(county):
        return None
    run = pairing_propose(actor=actor, county=county)
    return pairing_approve(actor=actor, run=run)


def demo_village_lock(village: Area, carers: dict[str, Carer], *, actor: User) -> int:
    """Lock the village's children to the demo's officer, doctor and volunteer (as many as each
    can take; the volunteer only where the guardian consented), the first children of the
    village for all three: the six demo logins meet on the same children. Returns the locks."""
    children = list(Child.objects.filter(village=village, exited_on__isnull=True).order_by("pk"))
    consented = set(
        Consent.objects.filter(
            child__in=children, purpose=ConsentPurpose.VOLUNTEER, withdrawn_on__isnull=True
        ).values_list("child_id", flat=True)
    )
    # Children the volunteer may visit first, so that the three carers share them.
    children.sort(key=lambda c: c.pk not in consented)
    locks = 0
    for role, carer in carers.items():
        mine = [c for c in children if role != CarerRole.VOLUNTEER or c.pk in consented]
        for child in mine[: carer.capacity]:
            pair_rule_set(actor=actor, child=child, carer=carer, kind=PairRule.Kind.LOCK)
            locks += 1
    return locks


@transaction.atomic
def demo_users_ensure(*, county_code: str | None = None) -> list[DemoLogin]:
    """Create or refresh the demo logins with the password settings.DEMO_PASSWORD: six in the
    county, and a prefecture and a province official above it.

    The supervisor gets the township with the most children, the director the village with the
    most children in it, and the police officer, doctor and volunteer a carer record of their
    role in that township (the volunteer one who is vetted and trained). The admin is a county
    administrator who is also staff and superuser, so the Django admin works.

    The demo comes paired: unless some of its children are paired already, the director's
    village's children are locked to the demo's officer, doctor and volunteer (as many as each
    can take), and the county's pairing is proposed and approved in the admin's name before the
    carers' logins are linked, so the six logins meet on the same children.
    """
    code = county_code or settings.COUNTY_CODE
    county = Area.objects.filter(level=Area.Level.COUNTY, code=code).first()
    county = county or Area.objects.filter(level=Area.Level.COUNTY).order_by("code").first()
    if county is None:
        raise DemoSetupError("there is no county: seed one first (care365 seed)")
    township = (
        Area.objects.filter(level=Area.Level.TOWNSHIP, parent=county)
        .annotate(
            n=Count(
                "children__children_registered",
                filter=Q(children__children_registered__exited_on__isnull=True),
            )
        )
        .filter(n__gt=0)
        .order_by("-n", "code")
        .first()
    )
    if township is None:
        raise DemoSetupError("the county has no children: seed some first (care365 seed)")
    village = (
        Area.objects.filter(level=Area.Level.VILLAGE, parent=township)
        .annotate(
            n=Count("children_registered", filter=Q(children_registered__exited_on__isnull=True))
        )
        .filter(n__gt=0)
        .order_by("-n", "code")
        .first()
    )
    if village is None:  # cannot happen: the township has children, so one of its villages has
        raise DemoSetupError("no village with children")
    scope: dict[str, Area] = {
        Role.COUNTY_ADMIN: county,
        Role.SUPERVISOR: township,
        Role.DIRECTOR: village,
    }
    # The county's prefecture and province (a municipality's district has no prefecture: then
    # there is no prefecture login).
    above = county.parent
    while above is not None:
        scope[Role.PROVINCE_OFFICIAL if above.parent is None else Role.PREFECTURE_OFFICIAL] = above
        above = above.parent
    # The organisation logins work for an organisation of the county's network (the seed
    # writes them); without one the login is left out: the agency's staff for the county's
    # social-work agency, the teacher for the central school of the director's township.
    organisations: dict[str, Organisation | None] = {
        role: Organisation.objects.filter(kind=kind, area=county).order_by("pk").first()
        for role, kind in DEMO_ORGANISATION_KIND.items()
    }
    organisations[Role.TEACHER] = (
        Organisation.objects.filter(kind=Organisation.Kind.SCHOOL, area=township)
        .order_by("pk")
        .first()
    )
    logins = tuple(
        login
        for login in DEMO_LOGINS
        if login[1] in scope
        or (login[1] in ORGANISATION_ROLES and organisations.get(login[1]) is not None)
        or login[1] not in AREA_ROLES | ORGANISATION_ROLES
    )
    users: dict[str, User] = {}  # by role
    where: dict[str, str] = {}
    for username, role, _role_zh in logins:
        if role in scope:
            users[role] = _login_ensure(username, role, area=scope[role])
            where[role] = scope[role].name
    carers = {
        role: _carer_for(role, county, township, village, username)
        for username, role, _role_zh in DEMO_LOGINS
        if role not in scope and role not in ORGANISATION_ROLES
    }
    # Paired before the carers' logins are linked: on a county not paired yet, the director's
    # village's children are locked to the demo's carers first, so the six logins meet on them.
    if not _county_paired(county):
        demo_village_lock(village, carers, actor=users[Role.COUNTY_ADMIN])
    demo_pairing_ensure(county, actor=users[Role.COUNTY_ADMIN])
    for username, role, _role_zh in logins:
        organisation = organisations.get(role)
        if organisation is not None:
            users[role] = _login_ensure(username, role, organisation=organisation)
            where[role] = organisation.name
        elif role not in scope:
            carer = carers[role]
            users[role] = _login_ensure(username, role, carer=carer)
            where[role] = carer.organisation.name
    return [DemoLogin(username, role, zh, where[role]) for username, role, zh in logins]


def _login_ensure(
    username: str,
    role: str,
    *,
    area: Area | None = None,
    carer: Carer | None = None,
    organisation: Organisation | None = None,
) -> User:
    user = User.objects.filter(username=username).first() or User(username=username)
    user.role, user.area, user.carer, user.organisation = role, area, carer, organisation
    user.last_name, user.first_name = DEMO_NAMES.get(username, ("", ""))
    user.is_staff = user.is_superuser = role == Role.COUNTY_ADMIN
    user.is_active = True
    user.set_password(settings.DEMO_PASSWORD)
    user.full_clean(exclude=["password"])
    user.save()
    return user
