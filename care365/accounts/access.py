"""The only door to a child's data for a user (DESIGN.md, "Who sees what").

Every page, API operation and export gets children through `children_for_user` (lists) or
`child_get_for_user` (one record). A child out of the user's scope and a child that does not exist
look the same: `ChildNotFound`, a 404. Every single-child read is written to the access log.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from care365.areas.models import Area
from care365.areas.selectors import area_village_ids
from care365.registry.models import Child

from .models import CARER_ROLES, REGISTRY_ROLES, AccessLog, AccessPurpose, Role, User

# Purposes that change the registry: only the registry's keepers may have them.
WRITE_PURPOSES = frozenset({AccessPurpose.EDIT, AccessPurpose.EXIT, AccessPurpose.DUPLICATE})


class ChildNotFound(Http404):  # it is an Http404, named for what the user sees
    """The child does not exist or is outside the user's scope; the two are indistinguishable."""


def _as_user(user: Any) -> User | None:
    if not isinstance(user, User) or not user.is_active or not user.role:
        return None
    return user


def scope_village_ids(user: Any) -> list[int] | None:
    """Villages an area-scoped user covers; None for users whose scope is not an area."""
    account = _as_user(user)
    if account is None or account.role not in REGISTRY_ROLES or account.area is None:
        return None
    return area_village_ids(account.area)


def children_for_user(user: Any) -> QuerySet[Child]:
    """All children (active and exited) the user may see; an empty queryset by default."""
    account = _as_user(user)
    if account is None:
        return Child.objects.none()
    if account.role in REGISTRY_ROLES:
        villages = scope_village_ids(account)
        return Child.objects.filter(village_id__in=villages or [])
    # Carers (officers, doctors, volunteers) see only the children paired with them now. Pairing
    # is a higher layer, so its rows are reached by relation name rather than by import. A
    # volunteer is paired only with a guardian's consent, and the pairing ends when it is withdrawn.
    if account.role in CARER_ROLES and account.carer_id is not None:
        # One filter() call: both conditions hold on the same pairing row. A carer has one role
        # and a child one open pairing per role, so the join cannot repeat a child.
        return Child.objects.filter(
            pairings__carer_id=account.carer_id, pairings__until__isnull=True
        )
    return Child.objects.none()


def child_get_for_user(
    user: Any,
    child_id: int | str,
    purpose: AccessPurpose | str,
    *,
    route: str = "",
    reason: str = "",
) -> Child:
    """One child the user may see, for a stated purpose; logged. 404 if missing or out of scope.

    Raises PermissionDenied (403) when the child is in scope but the purpose is a change the
    user's role may not make (a carer editing the registry).
    """
    try:
        pk = int(child_id)
    except (TypeError, ValueError) as exc:
        raise ChildNotFound from exc
    account = _as_user(user)
    if account is None:
        raise ChildNotFound
    child = (
        children_for_user(account)
        .select_related("village", "village__parent", "guardian")
        .filter(pk=pk)
        .first()
    )
    if child is None:
        raise ChildNotFound
    purpose = AccessPurpose(purpose)
    if purpose in WRITE_PURPOSES and account.role not in REGISTRY_ROLES:
        raise PermissionDenied
    if purpose == AccessPurpose.REVEAL_ID and (account.role != Role.COUNTY_ADMIN or not reason):
        raise PermissionDenied
    AccessLog.objects.create(
        user=account, child=child, purpose=purpose, route=route[:100], reason=reason[:255]
    )
    return child


def can_register_in(user: Any, village: Area) -> bool:
    """Whether the user may register or move a child into this village."""
    villages = scope_village_ids(user)
    return villages is not None and village.level == Area.Level.VILLAGE and village.pk in villages


def areas_for_user(user: Any) -> QuerySet[Area]:
    """The areas a user may filter by and register into: their own subtree."""
    account = _as_user(user)
    if account is None or account.area is None:
        return Area.objects.none()
    if account.area.level == Area.Level.VILLAGE:
        return Area.objects.filter(pk=account.area.pk)
    return Area.objects.filter(code__startswith=account.area.code)
