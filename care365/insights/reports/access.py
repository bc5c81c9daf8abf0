"""Who may ask for and read which reports, and the children a report counts.

A report holds figures only, never a child's record: it is for those who answer for an area.
County administrators ask for and read the reports of their county and of its townships and
villages; township supervisors those of their township; province and prefecture officials
(the levels above the county) those of their area, where a count below 5 shows as "<5"
(`reports.render`). Anybody else, and another area's report, is `NotFound` alike.
"""

from __future__ import annotations

from django.db.models import QuerySet

from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.core.errors import NotFound
from care365.insights.reports.models import Report
from care365.registry.models import Child

# Roles that read reports, with their area. The levels above the county have their own roles
# ("province", "prefecture") once the area tree has those levels.
REPORT_ROLES = frozenset({Role.COUNTY_ADMIN, Role.SUPERVISOR, "prefecture", "province"})
# Levels whose figures are public enough to be small: above the county, counts below 5 hide.
SUPPRESSED_LEVELS = frozenset({"province", "prefecture"})
_MAX_ID = 2**63 - 1


def area_code_prefix(area: Area) -> str:
    """What the code of every area in `area`'s subtree starts with: a province's first two
    digits, a prefecture's first four, the whole code of a county, township or village."""
    if area.level == "province":
        return area.code[:2]
    if area.level == "prefecture":
        return area.code[:4]
    return area.code


def report_children(area: Area) -> QuerySet[Child]:
    """Every child (present or past) registered in a village of `area`: what a report counts.
    Its figures leave as counts only; the rows never do."""
    return Child.objects.filter(village__code__startswith=area_code_prefix(area))


def suppresses_small_counts(area: Area) -> bool:
    """Figures of an area above the county show counts below 5 as "<5" (DESIGN.md)."""
    return area.level in SUPPRESSED_LEVELS


def _account(user: User) -> User | None:
    if not isinstance(user, User) or not user.is_active or user.role not in REPORT_ROLES:
        return None
    return user if user.area_id is not None else None


def reads_reports(user: User) -> bool:
    """Whether the user has the reports page at all."""
    return _account(user) is not None


def report_areas_for_user(user: User) -> QuerySet[Area]:
    """The areas the user may ask a report for: their own area, and for a county
    administrator (or an official above the county) every area below it down to the
    townships. Villages are too small for a report of their own."""
    account = _account(user)
    if account is None or account.area is None:
        return Area.objects.none()
    own = account.area
    if account.role == Role.SUPERVISOR:
        return Area.objects.filter(pk=own.pk)
    return Area.objects.filter(code__startswith=area_code_prefix(own)).exclude(
        level=Area.Level.VILLAGE
    )


def may_report_on(user: User, area: Area) -> bool:
    return report_areas_for_user(user).filter(pk=area.pk).exists()


def reports_for_user(user: User) -> QuerySet[Report]:
    """The reports of the areas the user may read, newest first (without their files)."""
    account = _account(user)
    if account is None or account.area is None:
        return Report.objects.none()
    reports = Report.objects.filter(area__code__startswith=area_code_prefix(account.area))
    if account.role == Role.SUPERVISOR:
        reports = reports.filter(area=account.area)
    return reports.defer("xlsx", "pdf", "figures").select_related("area", "requested_by")


def report_get_for_user(user: User, report_id: int, *, with_files: bool = False) -> Report:
    """One report the user may read; NotFound for a missing one and another area's alike."""
    if not 0 < report_id <= _MAX_ID:
        raise NotFound
    reports = reports_for_user(user)
    if with_files:
        reports = reports.defer(None)
    report = reports.filter(pk=report_id).first()
    if report is None:
        raise NotFound
    return report
