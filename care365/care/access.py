"""The doors to daily care and who may do what in it.

Every list starts from the access layer (`children_for_user`); these narrow it to the children a
user is *responsible* for (a carer's paired children, the children of a director's or
supervisor's area; never a child opened by break-the-glass), say which kinds of record the user's
role may read, and are the one door to a wish and to a care task. Reaching a wish or a task is
reaching its child's record, so it is written to the access log."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet

from care365.accounts.access import (
    access_log_write,
    areas_for_user,
    children_for_user,
    children_for_user_filter,
    children_in_scope,
    county_for_admin,
    county_of_user,
    organisation_get_for_admin,
    organisations_for_user,
    scope_village_ids,
)
from care365.accounts.models import CARER_ROLES, REGISTRY_ROLES, AccessPurpose, Role, User
from care365.accounts.visibility import FieldGroup, groups_for
from care365.areas.models import Area
from care365.care.models import (
    GIFT_EVENT_KINDS,
    LOGGED_BY,
    VISIBLE_TO,
    CareEvent,
    CareSettings,
    CareTask,
    ContactKind,
    Gift,
    HealthSession,
    PlanKind,
    Wish,
)
from care365.carers.models import Organisation
from care365.core.errors import NotFound
from care365.registry.models import Child, Consent, ConsentPurpose


def wish_get_for_user(
    user: User, wish_id: int, purpose: AccessPurpose | str = AccessPurpose.VIEW, *, route: str = ""
) -> Wish:
    """A wish the user may act on: one of the children they see, one they claimed, or one on
    their county's board. Anything else is NotFound, like a missing wish. Logged as a read of
    the child's record."""
    acc = account(user)
    if acc is None or acc.role not in (*REGISTRY_ROLES, *CARER_ROLES):
        raise NotFound
    reach = Q(child__in=children_for_user(acc).values("pk")) | Q(claimed_by=acc)
    county = county_of_user(acc)
    if county is not None:
        reach |= on_wish_board(county)
    wish = (
        Wish.objects.filter(reach, pk=wish_id)
        .select_related("child", "child__village", "child__village__parent")
        .first()
    )
    if wish is None:
        raise NotFound
    access_log_write(acc, wish.child_id, purpose, route=route or f"wish {wish.pk}")
    return wish


def task_get_for_user(
    user: User, task_id: int, purpose: AccessPurpose | str = AccessPurpose.VIEW, *, route: str = ""
) -> CareTask:
    """An open or done task the user holds, or (directors, supervisors) one of their area;
    NotFound otherwise. Logged as a read of the child's record."""
    acc = account(user)
    if acc is None:
        raise NotFound
    task = care_tasks_for_user(acc, open_only=False).filter(pk=task_id).first()
    if task is None:
        raise NotFound
    access_log_write(acc, task.child_id, purpose, route=route or f"task {task.pk}")
    return task


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
    """Active children the user answers for (`children_in_scope`: their area's, or those paired
    with them; never a child opened by break-the-glass)."""
    acc = account(user)
    if acc is None:
        return Child.objects.none()
    return children_in_scope(acc).filter(exited_on__isnull=True)


def is_paired(user: User, child: Child) -> bool:
    """Whether the user is the child's carer today (an open pairing with them; for a volunteer,
    while the guardian's consent holds): the carer's own scope, from the access layer."""
    acc = account(user)
    if acc is None or acc.role not in CARER_ROLES:
        return False
    return children_in_scope(acc).filter(pk=child.pk).exists()


def in_area(user: User, child: Child) -> bool:
    """Whether the child lives in a director's, supervisor's or county administrator's area."""
    if user.role not in REGISTRY_ROLES:
        return False
    return child.village_id in (scope_village_ids(user) or [])


# Guardian consents under which a child's wishes may be shown to volunteers and donors.
WISH_CONSENTS = (ConsentPurpose.VOLUNTEER, ConsentPurpose.VOLUNTEER_GROUP)


def shareable_consent() -> Exists:
    return Exists(
        Consent.objects.filter(
            child=OuterRef("child_id"), purpose__in=WISH_CONSENTS, withdrawn_on__isnull=True
        )
    )


def on_wish_board(county: Area, *, include_claimed: bool = True) -> Q:
    """The wishes the county's board shows: open (and claimed) wishes of its active children
    whose guardian agreed to share with volunteers."""
    states = [Wish.State.OPEN] + ([Wish.State.CLAIMED] if include_claimed else [])
    return Q(
        shareable_consent(),
        state__in=states,
        child__exited_on__isnull=True,
        child__village__code__startswith=county.code[:6],
    )


def care_tasks_for_user(user: User, *, open_only: bool = True) -> QuerySet[CareTask]:
    """Tasks assigned to the user; for directors and supervisors also the unassigned tasks of
    their area's children (a child without a doctor)."""
    acc = account(user)
    if acc is None or not sees_health(acc):
        return CareTask.objects.none()
    mine = Q(assignee=acc)
    if acc.role in (Role.DIRECTOR, Role.SUPERVISOR, Role.COUNTY_ADMIN):
        mine |= Q(assignee__isnull=True, child__in=children_for_user(acc).values("pk"))
    qs = CareTask.objects.filter(mine)
    if open_only:
        qs = qs.filter(state=CareTask.State.OPEN)
    return qs.select_related("child", "child__village", "screening").order_by("due_on", "pk")


def _keeps(user: User, child: Child) -> bool:
    """Directors, supervisors and county administrators of the child's area."""
    return user.role in REGISTRY_ROLES and in_area(user, child)


def _cares_for(user: User, child: Child) -> bool:
    """Whoever keeps the child's record (`_keeps`), or the child's volunteer."""
    return _keeps(user, child) or (user.role == Role.VOLUNTEER and is_paired(user, child))


def _may_release(user: User, wish: Wish) -> bool:
    return wish.claimed_by_id == user.pk or _keeps(user, wish.child)


def _may_deliver(user: User, wish: Wish) -> bool:
    return wish.claimed_by_id == user.pk or _cares_for(user, wish.child)


def _may_confirm(user: User, wish: Wish) -> bool:
    return _cares_for(user, wish.child)


def _may_withdraw(user: User, wish: Wish) -> bool:
    return wish.posted_by_id == user.pk or _keeps(user, wish.child)


# The steps `wish_steps_allowed` lists, in this order: each step's name, the state it moves the
# wish from, and who may take it. Claiming is left to the county's board.
_STEPS: tuple[tuple[str, str, Callable[[User, Wish], bool]], ...] = (
    ("deliver", Wish.State.CLAIMED, _may_deliver),
    ("release", Wish.State.CLAIMED, _may_release),
    ("confirm", Wish.State.DELIVERED, _may_confirm),
    ("withdraw", Wish.State.OPEN, _may_withdraw),
)


def may_post_wish(user: User, child: Child) -> bool:
    """Whether `wish_post` takes a wish from this user for this child: the child's director,
    supervisor or county administrator, or the child's volunteer, while the child is in the
    registry. (The guardian's consent to share is checked by the service, which says so.)"""
    acc = account(user)
    return acc is not None and child.is_active and _cares_for(acc, child)


def wish_steps_allowed(user: User, wish: Wish) -> list[str]:
    """The steps the user may take on the wish in its present state, among deliver, release,
    confirm and withdraw: exactly those `wish_deliver`, `wish_release`, `wish_confirm` and
    `wish_withdraw` allow (the claimer; the child's director, supervisor or volunteer; the
    poster)."""
    acc = account(user)
    if acc is None:
        return []
    return [name for name, source, allowed in _STEPS if wish.state == source and allowed(acc, wish)]


# The guardian's consent that both examinations and wellbeing screenings need: health information
# is sensitive at every age, and a child's under 14 is handled only with the guardian's consent
# (DOMAIN.md, "Privacy of minors"; docs/privacy.md). One purpose covers both.
HEALTH_CONSENT = ConsentPurpose.HEALTH_SCREENING


def health_consent_holds(child: Child) -> bool:
    """Whether the guardian's consent to health examinations and wellbeing screening holds
    (without it `examination_record` and `screening_record` refuse, and their pages say who
    records it)."""
    return Consent.objects.filter(
        child=child, purpose=HEALTH_CONSENT, withdrawn_on__isnull=True
    ).exists()


def may_record_consent(user: User, child: Child) -> bool:
    """Whether the user records (and withdraws) the guardian's consents for this child, on the
    child's page: the registry's keepers of the child's area (director, supervisor, county
    administrator), while the child is in the registry."""
    acc = account(user)
    return acc is not None and child.is_active and _keeps(acc, child)


def may_screen(user: User, child: Child) -> bool:
    """The child's paired doctor, or a director of the child's village whom the county lists as
    trained in screening (CareSettings.trained_screeners)."""
    if user.role == Role.DOCTOR:
        return is_paired(user, child)
    if user.role == Role.DIRECTOR and in_area(user, child):
        county_id = child.village.parent.parent_id if child.village.parent else None
        return CareSettings.objects.filter(county_id=county_id, trained_screeners=user).exists()
    return False


def _examines(user: User, child: Child) -> bool:
    """The child's paired doctor."""
    return user.role == Role.DOCTOR and is_paired(user, child)


def enters_examinations(user: User) -> bool:
    """Whether the user's role enters examinations at all: doctors (`may_examine` says for
    which children)."""
    acc = account(user)
    return acc is not None and acc.role == Role.DOCTOR


def may_examine(user: User, child: Child) -> bool:
    """Whether `examination_record` takes an examination from this user for this child: the
    child's paired doctor, while the child is in the registry."""
    acc = account(user)
    return acc is not None and child.is_active and _examines(acc, child)


def _logs_for(user: User, child: Child) -> bool:
    """Whether the user logs contacts for this child: a carer for the children paired with them
    today, a director, supervisor or county administrator for the children of their area."""
    if user.role in CARER_ROLES:
        return is_paired(user, child)
    return in_area(user, child)


def contact_kinds_allowed(user: User, child: Child) -> list[str]:
    """The kinds of contact `contact_log` takes from this user for this child, in `ContactKind`
    order: the kinds the role logs (LOGGED_BY), for a child the user logs for; none for a child
    who has left the registry."""
    acc = account(user)
    if acc is None or not child.is_active:
        return []
    kinds = [k for k in ContactKind.values if acc.role in LOGGED_BY[k]]
    if not kinds or not _logs_for(acc, child):
        return []
    return kinds


def health_session_areas_for_user(user: User) -> QuerySet[Area]:
    """The townships and villages a user may record a health education session in: a doctor's
    whole county (sessions are given where children gather), anyone else's own area."""
    if user.role == Role.DOCTOR:
        county = county_of_user(user)
        if county is None:
            return Area.objects.none()
        return Area.objects.filter(code__startswith=county.code).exclude(pk=county.pk)
    return areas_for_user(user).exclude(level=Area.Level.COUNTY)


# Who sees the overdue examinations list: the roles that answer for examinations.
EXAM_LIST_ROLES = frozenset({Role.DOCTOR, Role.SUPERVISOR, Role.COUNTY_ADMIN})
# Who records health education sessions.
HEALTH_SESSION_ROLES = frozenset({Role.DOCTOR, *REGISTRY_ROLES})


def sees_exam_list(user: User) -> bool:
    """The overdue examinations of one's children or area: doctors, supervisors, county
    administrators."""
    acc = account(user)
    return acc is not None and acc.role in EXAM_LIST_ROLES


def records_health_sessions(user: User) -> bool:
    """Health education sessions are given by doctors and recorded by them or the registry's
    keepers."""
    acc = account(user)
    return acc is not None and acc.role in HEALTH_SESSION_ROLES


def takes_planned_kind(user: User, kind: str) -> bool:
    """Whether the user's role does this planned kind of care at all (a due list's row links to
    its form): examinations are the doctors'; contacts as LOGGED_BY says."""
    acc = account(user)
    if acc is None:
        return False
    if kind == PlanKind.EXAMINATION:
        return acc.role == Role.DOCTOR
    return acc.role in LOGGED_BY.get(kind, ())


def picks_all_own_children(user: User) -> bool:
    """A doctor's or a director's children are few enough to list at once on a session's or an
    event's form; a supervisor or a county administrator picks an area first."""
    acc = account(user)
    return acc is not None and acc.role in (Role.DOCTOR, Role.DIRECTOR)


def keeps_care_records(user: User) -> bool:
    """Directors, supervisors and county administrators: the risk list, events, wishes for a
    donor (the registry's keepers)."""
    acc = account(user)
    return acc is not None and acc.role in REGISTRY_ROLES


def wish_board_county(user: User) -> Area | None:
    """The county whose wish board the user sees: anyone with a role working in a county."""
    acc = account(user)
    return county_of_user(acc) if acc is not None else None


# --- health education and the volunteers' study help ----------------------------------------


def health_sessions_visible(user: User) -> QuerySet[HealthSession]:
    """The health education sessions a user sees: a doctor those they held or recorded; a
    director, supervisor or county administrator those they recorded, those held for a
    township or village of their area and those a child of their area came to. Nobody else
    sees any. Which children of a session the user is shown is narrower still
    (`children_for_user`): the list never names a child the user may not see."""
    acc = account(user)
    if acc is None or acc.role not in HEALTH_SESSION_ROLES:
        return HealthSession.objects.none()
    mine = Q(recorded_by=acc)
    if acc.role == Role.DOCTOR:
        if acc.carer_id is not None:
            mine |= Q(doctor_id=acc.carer_id)
    else:
        villages = scope_village_ids(acc) or []
        attended = HealthSession.children.through.objects.filter(
            healthsession_id=OuterRef("pk"), child__village_id__in=villages
        )
        mine |= Q(area__in=areas_for_user(acc).values("pk")) | Q(Exists(attended))
    return HealthSession.objects.filter(mine)


def sees_session_figures(user: User) -> bool:
    """The figures of health education (sessions and attendance per township or village):
    county administrators and township supervisors, for their area."""
    acc = account(user)
    return acc is not None and acc.role in (Role.COUNTY_ADMIN, Role.SUPERVISOR)


def _on_team(user: User, child: Child) -> bool:
    """The child's team: the carers paired with the child today (a volunteer while the
    guardian's consent holds) and the registry's keepers of the child's area. Never a child
    opened by break-the-glass: study help is not an emergency."""
    if user.role in CARER_ROLES:
        return is_paired(user, child)
    return _keeps(user, child)


def sees_learning(user: User, child: Child) -> bool:
    """Whether the user reads the child's learning goals, progress notes and interest
    activities: the child's team (`_on_team`)."""
    acc = account(user)
    return acc is not None and _on_team(acc, child)


def may_write_learning(user: User, child: Child) -> bool:
    """Whether the user sets learning goals, writes progress notes and records interest
    activities for the child: the child's volunteer (who gives the study help) and the
    registry's keepers of the child's area, while the child is in the registry. The paired
    officer and doctor read only."""
    acc = account(user)
    if acc is None or not child.is_active:
        return False
    if acc.role == Role.VOLUNTEER:
        return is_paired(acc, child)
    return _keeps(acc, child)


# --- Children's Day and festival gifts -------------------------------------------------------

# The kinds of organisation that give children gifts: charities, donating companies, and the
# county's people's organisations and agencies that hold their own drives. Police stations,
# clinics, courts and schools are not offered as donors.
DONOR_KINDS = (
    Organisation.Kind.COMPANY,
    Organisation.Kind.CHARITY,
    Organisation.Kind.YOUTH_LEAGUE,
    Organisation.Kind.WOMENS_FEDERATION,
    Organisation.Kind.CIVIL_AFFAIRS,
    Organisation.Kind.SOCIAL_WORK,
    Organisation.Kind.VOLUNTEER_GROUP,
)


def _holding_codes(area: Area) -> list[str]:
    """The codes of the county, township and village an area lies in (itself included)."""
    return [area.code[:n] for n in (6, 9, 12) if len(area.code) >= n]


def gift_events_for_user(user: User) -> QuerySet[CareEvent]:
    """The Children's Day and festival events whose gifts the user plans or delivers: for the
    registry's keepers, an event held in their area or in an area that holds theirs (a
    county's Children's Day is planned village by village); for a volunteer, an event with a
    gift for a child paired with them. Nobody else has any."""
    acc = account(user)
    if acc is None:
        return CareEvent.objects.none()
    events = CareEvent.objects.filter(kind__in=GIFT_EVENT_KINDS)
    if acc.role in REGISTRY_ROLES and acc.area is not None:
        reach = Q(area__in=areas_for_user(acc)) | Q(area__code__in=_holding_codes(acc.area))
        return events.filter(reach).select_related("area")
    if acc.role == Role.VOLUNTEER:
        mine = Gift.objects.filter(child__in=children_in_scope(acc).values("pk"))
        return events.filter(pk__in=mine.values("event_id")).select_related("area")
    return CareEvent.objects.none()


def care_event_get_for_user(user: User, event_id: int) -> CareEvent:
    """One gift event the user may see (`gift_events_for_user`); NotFound for anything else,
    missing or not. An event names no child: nothing is logged."""
    event = gift_events_for_user(user).filter(pk=event_id).first()
    if event is None:
        raise NotFound
    return event


def gifts_for_user(user: User) -> QuerySet[Gift]:
    """The gifts of the children the user may see: the registry's keepers, their area's (the
    access layer's rule); a volunteer, their paired children's. Officers, doctors and everyone
    else: none (a gift is no business of theirs)."""
    acc = account(user)
    if acc is None:
        return Gift.objects.none()
    if acc.role in REGISTRY_ROLES:
        visible = children_for_user_filter(acc)
    elif acc.role == Role.VOLUNTEER:
        visible = Q(child__in=children_in_scope(acc).values("pk"))
    else:
        return Gift.objects.none()
    return Gift.objects.filter(visible).select_related(
        "child", "child__village", "donor", "event", "delivered_by"
    )


def gift_get_for_user(
    user: User, gift_id: int, purpose: AccessPurpose | str = AccessPurpose.VIEW, *, route: str = ""
) -> Gift:
    """A gift of a child the user may see (`gifts_for_user`); NotFound for anything else,
    missing or not. Logged as a read of the child's record."""
    acc = account(user)
    if acc is None:
        raise NotFound
    gift = gifts_for_user(acc).filter(pk=gift_id).first()
    if gift is None:
        raise NotFound
    access_log_write(acc, gift.child_id, purpose, route=route or f"gift {gift.pk}")
    return gift


def plans_gifts(user: User) -> bool:
    """Directors, supervisors and county administrators plan gifts for their area's children."""
    return keeps_care_records(user)


def gift_children_for_user(user: User, event: CareEvent) -> QuerySet[Child]:
    """The children the user may plan a gift for at this event: active children they answer
    for (never one opened by break-the-glass) who live in the event's area."""
    acc = account(user)
    if acc is None or acc.role not in REGISTRY_ROLES:
        return Child.objects.none()
    return responsible_children(acc).filter(village__code__startswith=event.area.code)


def may_plan_gift(user: User, event: CareEvent, child: Child) -> bool:
    """Whether `gift_plan` takes a gift for this child at this event: the child's director,
    supervisor or county administrator, for an active child of the event's area."""
    acc = account(user)
    return (
        acc is not None
        and event.kind in GIFT_EVENT_KINDS
        and child.is_active
        and _keeps(acc, child)
        and child.village.code.startswith(event.area.code)
    )


def _may_mark_gift(user: User, gift: Gift) -> bool:
    """The child's director, supervisor or county administrator, or the child's volunteer."""
    return _cares_for(user, gift.child)


# The steps `gift_steps_allowed` lists, in this order: its name and the state it moves from.
_GIFT_STEPS: tuple[tuple[str, str], ...] = (
    ("deliver", Gift.State.PLANNED),
    ("not-delivered", Gift.State.PLANNED),
    ("confirm", Gift.State.DELIVERED),
)


def gift_steps_allowed(user: User, gift: Gift) -> list[str]:
    """The steps the user may take on the gift in its present state, among deliver,
    not-delivered and confirm: exactly those `gift_deliver`, `gift_not_delivered` and
    `gift_confirm` allow (the child's director, supervisor, county administrator or volunteer)."""
    acc = account(user)
    if acc is None or not _may_mark_gift(acc, gift):
        return []
    return [name for name, source in _GIFT_STEPS if gift.state == source]


def may_mark_gift(user: User, gift: Gift) -> bool:
    acc = account(user)
    return acc is not None and _may_mark_gift(acc, gift)


def donors_for_user(user: User) -> QuerySet[Organisation]:
    """The organisations of the user's county a gift may come from (`DONOR_KINDS`), for the
    registry's keepers who plan gifts; none for others."""
    return organisations_for_user(user).filter(kind__in=DONOR_KINDS).order_by("name", "pk")


def donor_get_for_admin(user: User, organisation_id: int) -> Organisation:
    """A donor organisation of the county the user administers: its totals and thanks are
    the county administrator's. NotFound otherwise (another county's, missing, or not a
    donor's kind)."""
    organisation = organisation_get_for_admin(user, organisation_id)
    if organisation.kind not in DONOR_KINDS:
        raise NotFound
    return organisation


def thanks_donors(user: User) -> bool:
    """County administrators see donors' totals and send their thanks."""
    return county_for_admin(user) is not None


def gift_plan_children_for_user(user: User, ids: list[int]) -> list[Child]:
    """The children of a gift plan, by id: each must be a child the user answers for (their
    area's, never one opened by break-the-glass); one that is not, missing or not, is NotFound
    for the whole plan. Whether each may have a gift at the event is `gift_plan`'s to say."""
    acc = account(user)
    wanted = set(ids)
    if acc is None or acc.role not in REGISTRY_ROLES:
        raise NotFound
    found = list(children_in_scope(acc).filter(pk__in=wanted).select_related("village"))
    if len(found) != len(wanted):
        raise NotFound
    return found


def gift_plan_area_for_user(user: User, event: CareEvent, area_id: int) -> Area:
    """A township or village of both the user's area and the event's, to plan a gift for each
    of its children; NotFound otherwise."""
    area = (
        areas_for_user(user)
        .filter(pk=area_id, code__startswith=event.area.code)
        .exclude(level=Area.Level.COUNTY)
        .first()
    )
    if area is None:
        raise NotFound
    return area
