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

from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from care365.accounts.access import (
    access_log_write,
    child_visible,
    children_for_user,
    children_for_user_filter,
    children_in_scope,
    county_for_admin,
    scope_village_ids,
)
from care365.accounts.models import CARER_ROLES, REGISTRY_ROLES, AccessPurpose, Role, User
from care365.areas.models import Area
from care365.care.models import RiskScore
from care365.carers.models import Carer, CarerRole, Organisation
from care365.core.errors import NotFound
from care365.network.models import (
    Absence,
    CaseConference,
    ConferenceAction,
    ConferenceAttendee,
    DropOut,
    Enrolment,
    MandatoryReport,
    Referral,
    RegistrationTask,
)
from care365.protection.models import Notification
from care365.registry.models import Child

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


# Referrals (转介; docs/network.md). Who refers: registry staff for a child of their area, a
# carer for a child paired with them (never a child opened by break-the-glass). Who sees: those
# who may see the child (a volunteer: only the referrals they made, since a volunteer sees the
# child's interests and wishes, not why the child needs a service). Who records the
# organisation's answer: the child's county's administrators, on the organisation's behalf.
REFERRER_ROLES = REGISTRY_ROLES | CARER_ROLES


def may_refer(user: User, child: Child) -> bool:
    """Whether the user may refer this child (a child already loaded through the access
    layer): registry staff of the child's area, or a carer paired with the child today."""
    account = _active(user)
    if account is None or account.role not in REFERRER_ROLES:
        return False
    return children_in_scope(account).filter(pk=child.pk).exists()


def reads_referrals(user: User) -> bool:
    """The referrals page: those who may refer (registry staff, carers)."""
    account = _active(user)
    return account is not None and account.role in REFERRER_ROLES


def referrals_for_user(user: User) -> QuerySet[Referral]:
    """The referrals of the children the user may see; a volunteer's own only; an
    organisation's staff the referrals to their organisation (never its child's record: they
    are shown what a referral carries, `network.selectors.staff_referral_view`); none by
    default."""
    account = _active(user)
    organisation_id = _staff_organisation_id(user)
    if organisation_id is not None:
        return Referral.objects.filter(organisation_id=organisation_id)
    if account is None or account.role not in REFERRER_ROLES:
        return Referral.objects.none()
    # Registry staff: the referral's own copy of the child's village (kept with the child's
    # moves), not the set of every child in scope: a county's list reads its referrals, not its
    # million children.
    rows = Referral.objects.filter(
        children_for_user_filter(account, village="village", village_kept=True)
    )
    if account.role == Role.VOLUNTEER:
        rows = rows.filter(referred_by=account)
    return rows


def referrals_overdue_for_user(user: User, today: date) -> QuerySet[Referral]:
    """Referrals past their due date and not done, of the children of a registry keeper's area
    (county administrators, supervisors, directors); none for others."""
    account = _active(user)
    if account is None or account.role not in REGISTRY_ROLES:
        return Referral.objects.none()
    return Referral.objects.filter(
        village_id__in=scope_village_ids(account) or [],
        state__in=Referral.OPEN_STATES,
        due_on__lt=today,
    )


def referral_get_for_user(user: User, referral_id: int | str, *, route: str = "") -> Referral:
    """One referral the user may see; NotFound (404) if missing or out of scope. A referral is
    part of a child's record: the read is written to the access log."""
    try:
        pk = int(referral_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    account = _active(user)
    if account is None or not 0 < pk < 2**63:
        raise NotFound
    referral = (
        referrals_for_user(account)
        .select_related(
            "child",
            "child__village",
            "child__village__parent",
            "organisation",
            "organisation__area",
            "referred_by",
            "referred_by__carer",
            "referred_by__area",
        )
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        raise NotFound
    access_log_write(account, referral.child_id, AccessPurpose.VIEW, route=route)
    return referral


def answers_for_organisation(user: User, referral: Referral) -> bool:
    """Whether the user records the organisation's answer on its behalf (accept, decline,
    done), from the referrer's side of the pages and API: the administrators of the
    organisation's county."""
    county = county_for_admin(user)
    return county is not None and referral.organisation.area.code.startswith(county.code)


# Organisation staff (DESIGN.md: "children referred to their organisation's services | what the
# referral carries"). They never open a child's record (`children_for_user` is empty for them):
# their pages and API (`network.views_staff`, `network.api_staff`) show the referrals to their
# own organisation through `referrals_for_user` and `referral_get_for_user` (one 404 for another
# organisation's, an access-log row for each referral shown with its child), rendered only
# through `network.selectors.staff_referral_view`.


def _staff_organisation_id(user: User) -> int | None:
    account = _active(user)
    if account is None or account.role != Role.ORG_STAFF:
        return None
    return account.organisation_id


def works_for_organisation(user: User) -> bool:
    """The staff pages and API: an active member of an organisation's staff."""
    return _staff_organisation_id(user) is not None


def staff_answers_referral(user: User, referral: Referral) -> bool:
    """Whether the user answers the referral as its organisation's own staff."""
    organisation_id = _staff_organisation_id(user)
    return organisation_id is not None and organisation_id == referral.organisation_id


def may_answer_referral(user: User, referral: Referral) -> bool:
    """Whether the user records the organisation's answer (the services ask this): its own
    staff, or the administrators of its county on its behalf."""
    return staff_answers_referral(user, referral) or answers_for_organisation(user, referral)


def staff_organisation(user: User) -> Organisation | None:
    """The organisation a member of its staff works for (their organisation's page); None for
    everyone else."""
    organisation_id = _staff_organisation_id(user)
    if organisation_id is None:
        return None
    return Organisation.objects.select_related("area").filter(pk=organisation_id).first()


def webhook_deliveries_for_staff(user: User) -> QuerySet[Notification]:
    """The webhook deliveries to their own organisation's endpoints, for its staff; none for
    everyone else (the county's administrators have theirs on the county's pages)."""
    organisation_id = _staff_organisation_id(user)
    if organisation_id is None:
        return Notification.objects.none()
    return Notification.objects.filter(
        webhook__isnull=False, webhook__organisation_id=organisation_id
    )


def referral_organisations(child: Child) -> QuerySet[Organisation]:
    """The organisations a child may be referred to: those of the child's county that offer a
    service (the organisation's area is in the county)."""
    return (
        Organisation.objects.filter(area__code__startswith=child.village.code[:6])
        .exclude(services=[])
        .select_related("area")
        .order_by("name")
    )


# Case conferences (联席会议; docs/network.md). Who convenes: the county's administrators and
# the child's township supervisor, for a child of their area (never one opened by
# break-the-glass). Who sees a conference, and how much (`conference_sight`):
# - "full": registry staff who see the child (administrators, the supervisor, the village's
#   children's director): everything, with why it was convened and what was discussed;
# - "team": the child's paired officer and doctor: the date, attendees, decisions and every
#   action, not the reason nor the discussion (which may hold what their role does not see);
# - "own": anyone else who owns one of its actions (a volunteer included, who sees a child's
#   interests and wishes, not their case): the date and their own actions only.
CONVENER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.SUPERVISOR})
TEAM_ROLES = frozenset({Role.POLICE, Role.DOCTOR})
# Who may own an action: a user of the county with a staff role.
OWNER_ROLES = REGISTRY_ROLES | CARER_ROLES


def may_convene(user: User, child: Child) -> bool:
    """Whether the user convenes (and runs) a conference for this child: a county
    administrator or township supervisor whose area holds the child."""
    account = _active(user)
    if account is None or account.role not in CONVENER_ROLES:
        return False
    return children_in_scope(account).filter(pk=child.pk).exists()


def reads_conferences(user: User) -> bool:
    """The area's conference list: county administrators and township supervisors."""
    account = _active(user)
    return account is not None and account.role in CONVENER_ROLES


def owns_actions(user: User) -> bool:
    """The "my actions" page: every staff role that can own an action."""
    account = _active(user)
    return account is not None and account.role in OWNER_ROLES


def _owned(account: User) -> Q:
    return Q(Exists(ConferenceAction.objects.filter(conference_id=OuterRef("pk"), owner=account)))


def conferences_for_user(user: User) -> QuerySet[CaseConference]:
    """The conferences the user may open: of the children they see (registry staff, the
    paired officer and doctor), and any where they own an action; none by default."""
    account = _active(user)
    if account is None or account.role not in OWNER_ROLES:
        return CaseConference.objects.none()
    if account.role in REGISTRY_ROLES | TEAM_ROLES:
        seen = Q(child__in=children_for_user(account).values("pk"))
        return CaseConference.objects.filter(seen | _owned(account))
    return CaseConference.objects.filter(_owned(account))


def conferences_of_area(user: User) -> QuerySet[CaseConference]:
    """The conferences of the children of a convener's area (the list page)."""
    account = _active(user)
    if account is None or account.role not in CONVENER_ROLES:
        return CaseConference.objects.none()
    # By the child's village (a join on the child's key), not the set of every child in scope.
    return CaseConference.objects.filter(child__village_id__in=scope_village_ids(account) or [])


def conference_get_for_user(
    user: User, conference_id: int | str, *, route: str = ""
) -> CaseConference:
    """One conference the user may open; NotFound (404) if missing or out of scope. A
    conference is part of a child's record: the read is written to the access log."""
    try:
        pk = int(conference_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    account = _active(user)
    if account is None or not 0 < pk < 2**63:
        raise NotFound
    conference = (
        conferences_for_user(account)
        .select_related("child", "child__village", "convened_by")
        .filter(pk=pk)
        .first()
    )
    if conference is None:
        raise NotFound
    access_log_write(account, conference.child_id, AccessPurpose.VIEW, route=route)
    return conference


def conference_sight(user: User, conference: CaseConference) -> str:
    """How much of the conference the user sees: "full", "team", "own" or "" (nothing)."""
    account = _active(user)
    if account is None:
        return ""
    if account.role in REGISTRY_ROLES | TEAM_ROLES and child_visible(account, conference.child):
        return "full" if account.role in REGISTRY_ROLES else "team"
    if ConferenceAction.objects.filter(conference=conference, owner=account).exists():
        return "own"
    return ""


def runs_conference(user: User, conference: CaseConference) -> bool:
    """Whether the user records the conference (attendance, decisions, actions, closing): a
    convener of the child's area."""
    return may_convene(user, conference.child)


def conference_actions_owned(user: User) -> QuerySet[ConferenceAction]:
    """The actions the user owns ("my actions")."""
    account = _active(user)
    if account is None or account.role not in OWNER_ROLES:
        return ConferenceAction.objects.none()
    return ConferenceAction.objects.filter(owner=account)


def conference_actions_overdue_for_user(user: User, today: date) -> QuerySet[ConferenceAction]:
    """Open actions past their due date, of the conferences of a convener's area."""
    account = _active(user)
    if account is None or account.role not in CONVENER_ROLES:
        return ConferenceAction.objects.none()
    return ConferenceAction.objects.filter(
        conference__child__village_id__in=scope_village_ids(account) or [],
        state=ConferenceAction.State.OPEN,
        due_on__lt=today,
    )


def conference_action_get_for_user(
    user: User, action_id: int | str, *, route: str = ""
) -> ConferenceAction:
    """One action the user owns or whose conference they run; NotFound (404) otherwise. Part
    of a child's record: the read is written to the access log."""
    try:
        pk = int(action_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    account = _active(user)
    if account is None or account.role not in OWNER_ROLES or not 0 < pk < 2**63:
        raise NotFound
    action = (
        ConferenceAction.objects.select_related(
            "conference", "conference__child", "conference__child__village", "owner"
        )
        .filter(pk=pk)
        .first()
    )
    if action is None or (
        action.owner_id != account.pk and not runs_conference(account, action.conference)
    ):
        raise NotFound
    access_log_write(account, action.conference.child_id, AccessPurpose.VIEW, route=route)
    return action


def conference_attendee_get(
    conference: CaseConference, attendee_id: int | str
) -> ConferenceAttendee:
    """An attendee of a conference already read through this layer; NotFound otherwise (one
    of another conference, too)."""
    try:
        pk = int(attendee_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    attendee = (
        ConferenceAttendee.objects.filter(pk=pk, conference=conference).first()
        if 0 < pk < 2**63
        else None
    )
    if attendee is None:
        raise NotFound
    attendee.conference = conference
    return attendee


def may_mark_done(user: User, action: ConferenceAction) -> bool:
    """The action's owner, or a convener of the child's area."""
    account = _active(user)
    return account is not None and (
        action.owner_id == account.pk or runs_conference(account, action.conference)
    )


def action_owners(child: Child) -> QuerySet[User]:
    """Who may own an action of a conference about the child: the active staff users of the
    child's county (by their area, or their carer record's organisation's)."""
    county = child.village.code[:6]
    return (
        User.objects.filter(is_active=True, role__in=sorted(OWNER_ROLES))
        .filter(
            Q(area__code__startswith=county) | Q(carer__organisation__area__code__startswith=county)
        )
        .select_related("carer", "area")
        .order_by("role", "last_name", "first_name", "pk")
    )


def conference_organisations(child: Child) -> QuerySet[Organisation]:
    """The organisations of the child's county (an attendee's or an action's)."""
    return (
        Organisation.objects.filter(area__code__startswith=child.village.code[:6])
        .select_related("area")
        .order_by("name")
    )


def child_on_risk_list(child: Child) -> bool:
    """Whether the daily job last put the child on the county's risk list (care/risk.py)."""
    return RiskScore.objects.filter(child=child, on_list=True).exists()


# Schools and attendance (控辍保学; docs/network.md). A teacher sees the registered children with
# an open enrolment at their school, and of them only identity and attendance: never through
# `children_for_user` (empty for a teacher), always through `school_child_get_for_user`, which
# logs the read. The registry's keepers see and keep the enrolments, attendance and drop-outs of
# the children of their area.
def school_of_teacher(user: User) -> Organisation | None:
    """The school of an active teacher; None for anyone else."""
    account = _active(user)
    if account is None or account.role != Role.TEACHER or account.organisation_id is None:
        return None
    school = account.organisation
    if school is None or school.kind != Organisation.Kind.SCHOOL:
        return None
    return school


def reads_schools(user: User) -> bool:
    """The schools pages: teachers (their own school) and the registry's keepers."""
    account = _active(user)
    return account is not None and (
        account.role in REGISTRY_ROLES or school_of_teacher(account) is not None
    )


def schools_for_user(user: User) -> QuerySet[Organisation]:
    """The schools whose roll the user opens: a teacher's own; the schools of a registry
    keeper's county (they see on each roll the children of their own area only)."""
    account = _active(user)
    if account is None:
        return Organisation.objects.none()
    school = school_of_teacher(account)
    if school is not None:
        return Organisation.objects.filter(pk=school.pk)
    if account.role not in REGISTRY_ROLES or account.area is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        kind=Organisation.Kind.SCHOOL, area__code__startswith=account.area.code[:6]
    )


def school_get_for_user(user: User, school_id: int | str) -> Organisation:
    """One school whose roll the user opens; NotFound otherwise (an organisation is not a
    child: nothing is logged)."""
    try:
        pk = int(school_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    if not 0 < pk < 2**63:
        raise NotFound
    school = schools_for_user(user).select_related("area").filter(pk=pk).first()
    if school is None:
        raise NotFound
    return school


def school_children_for_user(user: User) -> QuerySet[Child]:
    """The children whose identity and attendance the user sees on the schools pages: for a
    teacher, the registered children (not exited) with an open enrolment at their school; for
    the registry's keepers, the children of their area; none for anyone else."""
    account = _active(user)
    if account is None:
        return Child.objects.none()
    school = school_of_teacher(account)
    if school is not None:
        return Child.objects.filter(
            exited_on__isnull=True,
            enrolments__school=school,
            enrolments__until__isnull=True,
        )
    if account.role in REGISTRY_ROLES:
        return children_in_scope(account)
    return Child.objects.none()


def school_child_get_for_user(user: User, child_id: int | str, *, route: str = "") -> Child:
    """One child of the user's school roll (a teacher) or area (the registry's keepers), for
    their identity and attendance; NotFound (404) if missing or not theirs, as a teacher of
    another school finds. The read is written to the access log."""
    try:
        pk = int(child_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    account = _active(user)
    if account is None or not 0 < pk < 2**63:
        raise NotFound
    child = school_children_for_user(account).select_related("village").filter(pk=pk).first()
    if child is None:
        raise NotFound
    access_log_write(account, child.pk, AccessPurpose.VIEW, route=route)
    return child


def keeps_school_roll(user: User, child: Child) -> bool:
    """Who enrols a child and ends an enrolment, and closes a drop-out's follow-up: the
    registry's keepers of the child's area (county administrator, supervisor, director)."""
    account = _active(user)
    if account is None or account.role not in REGISTRY_ROLES:
        return False
    return child.village_id in (scope_village_ids(account) or ())


def records_attendance(user: User, child: Child) -> bool:
    """Who records a child's absences and drop-out: a teacher of the school the child is
    enrolled at, or the registry's keepers of the child's area."""
    account = _active(user)
    if account is None:
        return False
    school = school_of_teacher(account)
    if school is not None:
        return school_children_for_user(account).filter(pk=child.pk).exists()
    return keeps_school_roll(account, child)


def records_roll_call(user: User, school: Organisation) -> bool:
    """The roll call of a school: its teachers (the registry's keepers record a child's
    absences on the child's attendance page)."""
    own = school_of_teacher(user)
    return own is not None and own.pk == school.pk


def _keeps_child(account: User) -> Q:
    """The rows of the children of a registry keeper's area, by the child's village (a join on
    the child's key), not by the set of every child in scope: a county's lists read their own
    rows, not its million children."""
    return Q(child__village_id__in=scope_village_ids(account) or [])


def enrolments_for_user(user: User) -> QuerySet[Enrolment]:
    """Enrolments the user sees: of their school's children (a teacher), or of the children
    of their area (the registry's keepers)."""
    account = _active(user)
    if account is None:
        return Enrolment.objects.none()
    school = school_of_teacher(account)
    if school is not None:
        return Enrolment.objects.filter(
            school=school, child__in=school_children_for_user(account).values("pk")
        )
    if account.role in REGISTRY_ROLES:
        return Enrolment.objects.filter(_keeps_child(account))
    return Enrolment.objects.none()


def enrolment_get_for_user(user: User, enrolment_id: int | str, *, route: str = "") -> Enrolment:
    """One enrolment the registry keeper keeps; NotFound otherwise. Logged as a read of the
    child's record."""
    try:
        pk = int(enrolment_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    account = _active(user)
    if account is None or account.role not in REGISTRY_ROLES or not 0 < pk < 2**63:
        raise NotFound
    enrolment = enrolments_for_user(account).select_related("child", "school").filter(pk=pk).first()
    if enrolment is None:
        raise NotFound
    access_log_write(account, enrolment.child_id, AccessPurpose.VIEW, route=route)
    return enrolment


def absences_for_user(user: User) -> QuerySet[Absence]:
    """Absences the user sees: those at their school of its enrolled children (a teacher), or
    of the children of their area (the registry's keepers)."""
    account = _active(user)
    if account is None:
        return Absence.objects.none()
    school = school_of_teacher(account)
    if school is not None:
        return Absence.objects.filter(
            school=school, child__in=school_children_for_user(account).values("pk")
        )
    if account.role in REGISTRY_ROLES:
        return Absence.objects.filter(_keeps_child(account))
    return Absence.objects.none()


def reads_drop_outs(user: User) -> bool:
    """The drop-outs list: the registry's keepers."""
    account = _active(user)
    return account is not None and account.role in REGISTRY_ROLES


def drop_outs_for_user(user: User) -> QuerySet[DropOut]:
    """The drop-outs of the children of a registry keeper's area; none for anyone else (a
    teacher records a drop-out, and the child then leaves their roll)."""
    account = _active(user)
    if account is None or account.role not in REGISTRY_ROLES:
        return DropOut.objects.none()
    return DropOut.objects.filter(_keeps_child(account))


def drop_out_get_for_user(user: User, drop_out_id: int | str, *, route: str = "") -> DropOut:
    """One drop-out of a child of the registry keeper's area; NotFound (404) otherwise. Part of
    the child's record: the read is written to the access log."""
    try:
        pk = int(drop_out_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    account = _active(user)
    if account is None or not 0 < pk < 2**63:
        raise NotFound
    drop_out = (
        drop_outs_for_user(account)
        .select_related("child", "child__village", "school", "referral", "referral__organisation")
        .filter(pk=pk)
        .first()
    )
    if drop_out is None:
        raise NotFound
    access_log_write(account, drop_out.child_id, AccessPurpose.VIEW, route=route)
    return drop_out


def education_bureau(child: Child) -> Organisation | None:
    """The education bureau of the child's county (the first by name if there are several):
    where a drop-out is referred."""
    return (
        Organisation.objects.filter(
            kind=Organisation.Kind.EDUCATION_BUREAU,
            area__code__startswith=child.village.code[:6],
        )
        .order_by("name", "pk")
        .first()
    )


def school_choices(child: Child) -> QuerySet[Organisation]:
    """The schools a child may be enrolled at: those of the child's county."""
    return Organisation.objects.filter(
        kind=Organisation.Kind.SCHOOL, area__code__startswith=child.village.code[:6]
    ).order_by("name", "pk")
