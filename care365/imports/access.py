"""Who may import what, into where; and the door to an import record.

Children: the registry's keepers, each into their own area (a director their village, a
supervisor their township's villages, a county administrator the whole county). Carers and
users: the county administrators, for their county. An import record is its importer's alone:
its error report holds the file's rows. Any other user gets NotFound, as for a record that does
not exist.
"""

from __future__ import annotations

from django.db.models import QuerySet

from care365.accounts.access import (
    county_of_user,
    keeps_registry,
    may_manage_users,
    scope_village_ids,
)
from care365.accounts.imports import UserImporter
from care365.accounts.models import User
from care365.areas.models import Area
from care365.areas.selectors import area_subtree, area_village_ids
from care365.carers.imports import CarerImporter
from care365.core.errors import NotFound
from care365.core.imports.engine import Importer, Scope
from care365.imports.models import ImportKind, ImportRecord
from care365.registry.imports import ChildImporter

IMPORTERS: dict[str, type[Importer]] = {
    ImportKind.CHILDREN: ChildImporter,
    ImportKind.CARERS: CarerImporter,
    ImportKind.USERS: UserImporter,
}

_MAX_ID = 2**63 - 1


def may_import(user: User, kind: str) -> bool:
    """Children: the registry's keepers; carers and users: the county administrators."""
    if kind == ImportKind.CHILDREN:
        return keeps_registry(user)
    return may_manage_users(user)


def kinds_for_user(user: User) -> list[str]:
    return [kind for kind in ImportKind.values if may_import(user, kind)]


def imports_county(user: User) -> Area | None:
    """The county a user imports into (their own), or None for a user who imports nothing."""
    if not kinds_for_user(user):
        return None
    return county_of_user(user)


def scope_for(user: User | None, county: Area) -> Scope:
    """Where an import by `user` may write in `county`: the user's own area (None: the command
    run by the operator without --user, the whole county)."""
    if user is None:
        villages = area_village_ids(county)
        areas = list(area_subtree(county).values_list("pk", flat=True))
    else:
        villages = scope_village_ids(user) or []
        areas = (
            list(area_subtree(user.area).values_list("pk", flat=True))
            if user.area is not None
            else []
        )
    return Scope(
        county_id=county.pk,
        county_code=county.code,
        village_ids=frozenset(villages),
        area_ids=frozenset(areas),
    )


def imports_for_user(user: User) -> QuerySet[ImportRecord]:
    """The user's own imports, newest first."""
    if not isinstance(user, User) or not user.is_active:
        return ImportRecord.objects.none()
    return ImportRecord.objects.filter(actor=user).order_by("-created_at", "-pk")


def import_get_for_user(user: User, import_id: int) -> ImportRecord:
    """One of the user's own imports; NotFound for anyone else's and a missing one alike."""
    if not 0 < import_id <= _MAX_ID:
        raise NotFound
    record = imports_for_user(user).filter(pk=import_id).first()
    if record is None or not may_import(user, record.kind):
        raise NotFound
    return record
