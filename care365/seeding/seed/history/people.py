"""The people who keep the history: a children's director in every village, a supervisor in
every township, and a login for every carer who has children (an officer, doctor or volunteer
logs their own visits). Logins made here have no usable password: they exist so that each
record names who wrote it, as a county's would; the six demo logins are the ones to sign in
with."""

from __future__ import annotations

import random

from django.contrib.auth.hashers import make_password

from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.carers.models import Carer
from care365.pairing.models import Pairing
from care365.seeding.seed import names


def _name(rng: random.Random, *, woman: bool) -> tuple[str, str]:
    surname = rng.choice([s for s, _ in names.HAN_SURNAMES + names.SHE_SURNAMES])
    chars = names.WOMAN_CHARS if woman else names.MAN_CHARS
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.6 else "")
    return surname, given


def staff_ensure(rng: random.Random, county: Area) -> int:
    """A director for every village and a supervisor for every township of the county that has
    none, and a login for every carer of the county with a pairing; returns the logins made."""
    prefix = county.code[:6]
    areas = list(
        Area.objects.filter(
            code__startswith=prefix, level__in=[Area.Level.TOWNSHIP, Area.Level.VILLAGE]
        ).order_by("code")
    )
    staffed = set(
        User.objects.filter(area__in=areas, role__in=[Role.DIRECTOR, Role.SUPERVISOR]).values_list(
            "area_id", flat=True
        )
    )
    unusable = make_password(None)
    made: list[User] = []
    for area in areas:
        if area.pk in staffed:
            continue
        role = Role.DIRECTOR if area.level == Area.Level.VILLAGE else Role.SUPERVISOR
        # Most children's directors are women (DOMAIN.md); supervisors about half.
        family, given = _name(rng, woman=rng.random() < (0.75 if role == Role.DIRECTOR else 0.5))
        made.append(
            User(
                username=f"{role}-{area.code}",
                role=role,
                area=area,
                last_name=family,
                first_name=given,
                password=unusable,
            )
        )
    paired = (
        Pairing.objects.filter(
            carer__user__isnull=True, carer__organisation__area__code__startswith=prefix
        )
        .values_list("carer_id", flat=True)
        .distinct()
    )
    carers = Carer.objects.filter(pk__in=list(paired)).order_by("pk").values_list("pk", "role")
    made += [
        User(username=f"{role}-{pk}", role=role, carer_id=pk, password=unusable)
        for pk, role in carers
    ]
    User.objects.bulk_create(made, batch_size=2000)
    return len(made)
