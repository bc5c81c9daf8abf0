"""The demo logins, one per role, each linked to real records of the seeded county."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.carers.models import BackgroundCheck, Carer, CarerRole

# (username, role, Chinese role name from docs/architecture.md's glossary)
DEMO_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("admin", Role.COUNTY_ADMIN, "县民政局管理员"),
    ("supervisor", Role.SUPERVISOR, "儿童督导员"),
    ("director", Role.DIRECTOR, "儿童主任"),
    ("police", Role.POLICE, "民警"),
    ("doctor", Role.DOCTOR, "医生"),
    ("volunteer", Role.VOLUNTEER, "志愿者"),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    role_zh: str
    where: str  # the area or organisation the login is tied to


class DemoSetupError(Exception):
    """The database has no county with children and carers to link the demo logins to."""


def _carer_for(role: str, township: Area, village: Area, username: str) -> Carer:
    """A carer of `role` working in the township, preferring one who serves the village."""
    carers = (
        Carer.objects.filter(role=role, active=True)
        .filter(Q(organisation__area=township) | Q(organisation__area__parent=township))
        .filter(Q(user__isnull=True) | Q(user__username=username))
    )
    if role == CarerRole.VOLUNTEER:
        carers = carers.filter(background_check=BackgroundCheck.PASSED, trained_on__isnull=False)
    carer = (
        carers.filter(service_areas=village).order_by("pk").first() or carers.order_by("pk").first()
    )
    if carer is None:
        raise DemoSetupError(f"no {role} works in {township.code}: seed the county first")
    return carer


@transaction.atomic
def demo_users_ensure(*, county_code: str | None = None) -> list[DemoLogin]:
    """Create or refresh the six demo logins with the password settings.DEMO_PASSWORD.

    The supervisor gets the township with the most children, the director the village with the
    most children in it, and the police officer, doctor and volunteer a carer record of their
    role in that township (the volunteer one who is vetted and trained). The admin is a county
    administrator who is also staff and superuser, so the Django admin works.
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
    logins = []
    for username, role, role_zh in DEMO_LOGINS:
        area = scope.get(role)
        carer = None if area is not None else _carer_for(role, township, village, username)
        where = area.name if area is not None else carer.organisation.name if carer else ""
        user = User.objects.filter(username=username).first() or User(username=username)
        user.role, user.area, user.carer = role, area, carer
        user.is_staff = user.is_superuser = role == Role.COUNTY_ADMIN
        user.is_active = True
        user.set_password(settings.DEMO_PASSWORD)
        user.full_clean(exclude=["password"])
        user.save()
        logins.append(DemoLogin(username, role, role_zh, where))
    return logins
