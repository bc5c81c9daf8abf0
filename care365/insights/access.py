"""Who sees which figures: the door to an area's dashboard and statistics.

Figures are for the people who answer for an area: county administrators, township supervisors
and village children's directors, each for their own area and the areas below it (and the
officials of the levels above the county, who see figures only). An area outside the user's
subtree and an area that does not exist are the same `NotFound`. Carers (officers, doctors,
volunteers) have no area and see no area's figures.

Small cells: a figure for an area above the county, or shown to a user who may not see the
children behind it, is "<5" when it is below 5 (`small_cells`, `cell`), so that no child can be
singled out by a count (DESIGN.md, "No oracles").
"""

from __future__ import annotations

from care365.accounts.access import keeps_registry
from care365.accounts.models import CARER_ROLES, User
from care365.areas.models import Area
from care365.core.errors import NotFound

# The levels at and below the county: the areas whose children a county administrator, a
# supervisor or a director keep one by one. Every other level (province, prefecture, whatever
# the tree grows above the county) is "above the county".
COUNTY_AND_BELOW = frozenset({"county", "township", "village"})
SMALL = 5
SMALL_LABEL = "<5"


def _account(user: User) -> User | None:
    if not isinstance(user, User) or not user.is_active or not user.role:
        return None
    return user


def sees_figures(user: User) -> bool:
    """Whether the user has an area whose figures they watch (not the carers)."""
    acc = _account(user)
    return acc is not None and acc.area_id is not None and acc.role not in CARER_ROLES


def sees_lists_behind(user: User) -> bool:
    """Whether a figure links to the list of children behind it: the registry's keepers; the
    officials above the county see figures only."""
    return sees_figures(user) and keeps_registry(user)


def home_area(user: User) -> Area | None:
    acc = _account(user)
    return acc.area if acc is not None and sees_figures(acc) else None


def within(area: Area, root: Area) -> bool:
    """Whether `area` is `root` or below it, by the parent links (any number of levels)."""
    node: Area | None = area
    hops = 0
    while node is not None and hops < 16:
        if node.pk == root.pk:
            return True
        node = node.parent
        hops += 1
    return False


def area_get_for_user(user: User, area_id: int | None) -> Area:
    """The area whose figures the user asks for (their own when `area_id` is None): NotFound when
    it is missing or outside the user's area alike."""
    root = home_area(user)
    if root is None:
        raise NotFound
    if area_id is None:
        return root
    if not 0 < area_id < 2**63:
        raise NotFound
    area = Area.objects.select_related("parent__parent__parent__parent").filter(pk=area_id).first()
    if area is None or not within(area, root):
        raise NotFound
    return area


def small_cells(user: User, area: Area) -> bool:
    """Whether counts below 5 are shown as "<5": for an area above the county, and for a user
    who may not see the children behind the figures."""
    return area.level not in COUNTY_AND_BELOW or not sees_lists_behind(user)


def cell(n: int, small: bool) -> int | str:
    """A count as it may be shown: "<5" for 0 to 4 where small cells are suppressed."""
    return SMALL_LABEL if small and n < SMALL else n
