"""The doors to mandatory reports and registration tasks, and who may do what with them.

Who sees a report (docs/network.md):
- county administrators: every report of their county, with the reporter's name and phone;
- township supervisors and village directors: the reports about their villages;
- police officers: the reports about the villages their station covers (the station's area, and
  the areas its officers serve, as the escalation finds the stations covering a village), and
  any whose alert reached them;
- nobody else. Only the county's administrators see who reported (`sees_reporter`).

`mandatory_report_get_for_user` is the one door to a single report; a report linked to a
registered child is a read of that child's record and is written to the access log.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from care365.accounts.access import access_log_write, scope_village_ids
from care365.accounts.models import AccessPurpose, Role, User
from care365.areas.models import Area
from care365.carers.models import Carer, CarerRole, Organisation
from care365.core.errors import NotFound
from care365.network.models import MandatoryReport, RegistrationTask
from care365.protection.models import Notification

READER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.SUPERVISOR, Role.DIRECTOR, Role.POLICE})
AREA_ROLES = frozenset({Role.COUNTY_ADMIN, Role.SUPERVISOR, Role.DIRECTOR})


def _active(user: User) -> User | None:
    if not isinstance(user, User) or not user.is_active or not user.role:
        return None
    return user


def reads_mandatory_reports(user: User) -> bool:
    """The staff list of reports: county administrators, supervisors, directors, officers."""
    account = _active(user)
    return account is not None and account.role in READER_ROLES


def _station_villages(account: User) -> Q:
    """The villages an officer's station covers: in the station's area (a township or a
    village), or in an area one of the station's active officers serves, or a village whose
    township is one of those (recipients.stations_covering, seen from the station)."""
    carer = account.carer
    if carer is None or carer.organisation.kind != Organisation.Kind.POLICE_STATION:
        return Q(pk__in=[])
    station = carer.organisation
    served = set(
        Carer.objects.filter(organisation=station, role=CarerRole.POLICE, active=True)
        .exclude(service_areas=None)
        .values_list("service_areas", flat=True)
    )
    areas = {station.area_id, *served}
    return Q(village_id__in=areas) | Q(village__parent_id__in=areas)


def mandatory_reports_for_user(user: User) -> QuerySet[MandatoryReport]:
    """Every report the user may see; none by default."""
    account = _active(user)
    if account is None or account.role not in READER_ROLES:
        return MandatoryReport.objects.none()
    if account.role in AREA_ROLES:
        if account.area is None:
            return MandatoryReport.objects.none()
        if account.role == Role.COUNTY_ADMIN and account.area.level == Area.Level.COUNTY:
            return MandatoryReport.objects.filter(county_id=account.area_id)
        return MandatoryReport.objects.filter(village_id__in=scope_village_ids(account) or [])
    told = Exists(Notification.objects.filter(alert_id=OuterRef("alert_id"), recipient=account))
    return MandatoryReport.objects.filter(_station_villages(account) | Q(told))


def mandatory_report_get_for_user(
    user: User, report_id: int | str, *, route: str = ""
) -> MandatoryReport:
    """One report the user may see; NotFound (404) if missing or out of scope. A report of a
    registered child is a read of the child's record: it is written to the access log."""
    try:
        pk = int(report_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    account = _active(user)
    if account is None:
        raise NotFound
    report = (
        mandatory_reports_for_user(account)
        .select_related(
            "village", "village__parent", "county", "child", "alert", "registration_task"
        )
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise NotFound
    if report.child_id is not None:
        access_log_write(account, report.child_id, AccessPurpose.VIEW, route=route)
    return report


def sees_reporter(user: User, report: MandatoryReport) -> bool:
    """The reporter's identity is protected (Minors Protection Law art. 11): only the
    administrators of the report's county see who reported and their phone."""
    account = _active(user)
    return (
        account is not None
        and account.role == Role.COUNTY_ADMIN
        and account.area_id == report.county_id
    )


def registration_tasks_for_user(user: User) -> QuerySet[RegistrationTask]:
    """Registration tasks the user answers for: those of the villages in a county
    administrator's, supervisor's or director's area, and any assigned to them."""
    account = _active(user)
    if account is None or account.role not in AREA_ROLES:
        return RegistrationTask.objects.none()
    return RegistrationTask.objects.filter(
        Q(village_id__in=scope_village_ids(account) or []) | Q(assignee=account)
    )


def registration_task_get_for_user(user: User, task_id: int | str) -> RegistrationTask:
    """One registration task the user answers for; NotFound otherwise."""
    try:
        pk = int(task_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    task = registration_tasks_for_user(user).select_related("report").filter(pk=pk).first()
    if task is None:
        raise NotFound
    return task


def may_print_poster(user: User, area: Area) -> bool:
    """The QR poster of a village or county: the registry's keepers, for an area of theirs."""
    account = _active(user)
    if account is None or account.role not in AREA_ROLES or account.area is None:
        return False
    return area.level in (Area.Level.VILLAGE, Area.Level.COUNTY) and area.code.startswith(
        account.area.code
    )


def poster_area_get_for_user(user: User, area_id: int | str) -> Area:
    """The village or county whose poster the user prints; NotFound for any other area, or one
    that is not theirs."""
    try:
        pk = int(area_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    area = Area.objects.filter(pk=pk).first()
    if area is None or not may_print_poster(user, area):
        raise NotFound
    return area


def own_poster_area(user: User) -> Area | None:
    """The area whose poster the staff list offers: a director's village, a county
    administrator's county; None for others (a supervisor prints their villages' one by one)."""
    account = _active(user)
    if account is None or account.area is None or not may_print_poster(account, account.area):
        return None
    return account.area
