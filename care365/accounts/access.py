"""The only door to a child's data for a user (DESIGN.md, "Who sees what").

Every page, API operation and export gets children through `children_for_user` (lists) or
`child_get_for_user` (one record). A child out of the user's scope and a child that does not exist
look the same: `NotFound`, a 404. Every single-child read is written to the access log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from care365.accounts.models import (
    CARER_ROLES,
    FIGURES_ROLES,
    ORGANISATION_ROLES,
    REGISTRY_ROLES,
    AccessGrant,
    AccessLog,
    AccessOutcome,
    AccessPurpose,
    ApiToken,
    ListExport,
    Role,
    User,
)
from care365.accounts.reasons import reason_validate
from care365.areas.models import Area
from care365.areas.selectors import area_village_ids
from care365.carers.models import Carer, CarerRole, Organisation
from care365.core.errors import NotFound
from care365.core.ledger import chain_append
from care365.core.models import Notice
from care365.registry.models import Child, ConsentPurpose, DuplicateFlag

# Purposes that change the registry: only the registry's keepers may have them.
WRITE_PURPOSES = frozenset({AccessPurpose.EDIT, AccessPurpose.EXIT, AccessPurpose.DUPLICATE})
# Purposes that need a reason (reasons.reason_validate), kept in the access log.
REASON_PURPOSES = frozenset(
    {AccessPurpose.REVEAL_ID, AccessPurpose.CONFIRM_ID, AccessPurpose.EXPORT}
)

# Who may break the glass (open a child outside their scope in an emergency): the responders,
# never a volunteer, whose access always rests on a pairing and the guardian's consent.
BREAK_GLASS_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.SUPERVISOR, Role.DIRECTOR, Role.POLICE, Role.DOCTOR}
)

# Unusual access is counted over this window (`_watch_for_unusual_access`).
_WATCH_WINDOW = timedelta(hours=1)


def _as_user(user: User) -> User | None:
    if not isinstance(user, User) or not user.is_active or not user.role:
        return None
    return user


def scope_village_ids(user: User) -> list[int] | None:
    """Villages an area-scoped user covers; None for users whose scope is not an area."""
    account = _as_user(user)
    if account is None or account.role not in REGISTRY_ROLES or account.area is None:
        return None
    # Read once per user object (one request) and area. A page asks for the scope several times:
    # the navigation's count of open alerts, the list or the home's sections, the child's team;
    # without this the county administrator's home makes 53 queries instead of 45 and the
    # children list 13 instead of 11 (the query-count tests in web/ and registry/).
    cached: tuple[int | None, list[int]] | None = getattr(account, "_scope_village_ids", None)
    if cached is None or cached[0] != account.area_id:
        cached = (account.area_id, area_village_ids(account.area))
        account._scope_village_ids = cached  # type: ignore[attr-defined]
    return list(cached[1])


def may_break_glass(user: User) -> bool:
    """Whether the user may open a child outside their scope in an emergency: responders only
    (police officers, doctors, directors, supervisors, county administrators). Pages, the API
    and the service (`access_grant_open`) all ask this; grants count only while it holds."""
    account = _as_user(user)
    return account is not None and account.role in BREAK_GLASS_ROLES


def needs_break_glass(user: User) -> bool:
    """Whether pages should offer the user the emergency access: those who may break the glass
    and whose own scope does not already hold every child it could open. Break-the-glass opens
    only children of the user's own county, so a user scoped to a whole county (the county
    administrators) sees those children already and is not offered it."""
    account = _as_user(user)
    if account is None or not may_break_glass(account):
        return False
    area = account.area if account.role in REGISTRY_ROLES else None
    return area is None or area.level != Area.Level.COUNTY


def keeps_registry(user: User) -> bool:
    """County administrators, supervisors and directors: they register, change and export."""
    account = _as_user(user)
    return account is not None and account.role in REGISTRY_ROLES


def reads_access_log(user: User) -> bool:
    """Who read which child, the changes and the ID look-ups: county administrators only."""
    account = _as_user(user)
    return account is not None and account.role == Role.COUNTY_ADMIN


def may_reveal_id(user: User) -> bool:
    """The full ID number is shown, with a logged reason, to county administrators only (the
    others see it masked; DESIGN.md, "Who sees what")."""
    account = _as_user(user)
    return account is not None and account.role == Role.COUNTY_ADMIN


def oversees_area(user: User) -> bool:
    """County administrators and township supervisors: they watch figures for a whole area
    (coverage, response times) rather than a village's children one by one."""
    account = _as_user(user)
    return (
        account is not None
        and account.role in (Role.COUNTY_ADMIN, Role.SUPERVISOR)
        and account.area is not None
    )


def home_kind(user: User) -> str:
    """Which home page the user gets: "area" (county administrators, supervisors), "village"
    (directors), "carer" (officers, doctors, volunteers), "figures" (province and prefecture
    officials), "organisation" (teachers, organisation staff) or "none" (no role yet)."""
    account = _as_user(user)
    if account is None:
        return "none"
    if figures_area(account) is not None:
        return "figures"
    if account.role in (Role.COUNTY_ADMIN, Role.SUPERVISOR):
        return "area"
    if account.role == Role.DIRECTOR:
        return "village"
    if account.role in CARER_ROLES:
        return "carer"
    if account.role in ORGANISATION_ROLES and account.organisation_id is not None:
        return "organisation"
    return "none"


def lists_records(user: User) -> bool:
    """Whether the navigation offers the lists of children and carers: not to the officials
    above the county (figures only), nor to teachers and organisation staff (the network's
    pages are theirs; both lists are empty for them)."""
    account = _as_user(user)
    return (
        account is not None
        and figures_area(account) is None
        and account.role not in ORGANISATION_ROLES
    )


def figures_area(user: User) -> Area | None:
    """The province or prefecture whose figures a province or prefecture official sees; None for
    everyone else. Figures only: such an official has no child in scope (`children_in_scope` is
    empty for them), and every figure they see goes through `care365.core.figures`."""
    account = _as_user(user)
    if account is None or account.role not in FIGURES_ROLES or account.area is None:
        return None
    return account.area if account.area.level in Area.ABOVE_COUNTY else None


def may_export_record(user: User, child: Child) -> bool:
    """A child's whole record leaves Care365 (a guardian's access request) through the county
    administrators only."""
    account = _as_user(user)
    return account is not None and account.role == Role.COUNTY_ADMIN


def decides_transfers(user: User) -> bool:
    """Transfer requests (a child's ID number typed in another village) are decided by the
    county administrators of the child's county."""
    account = _as_user(user)
    return (
        account is not None
        and account.role == Role.COUNTY_ADMIN
        and account.area is not None
        and account.area.level == Area.Level.COUNTY
    )


def _granted_child_ids(account: User) -> list[int]:
    """Children the user opened by break-the-glass, while the access lasts.

    Nothing for a user who may not break the glass: whatever grant exists (one given before the
    rule, or before a change of role), a volunteer sees only children paired with them whose
    guardian consents."""
    if not may_break_glass(account):
        return []
    # Once per user object (one request), for the reason given in `scope_village_ids`; opening a
    # grant (`access_grant_open`) drops it.
    cached: list[int] | None = getattr(account, "_granted_child_ids", None)
    if cached is None:
        cached = list(
            AccessGrant.objects.filter(user=account, expires_at__gt=timezone.now()).values_list(
                "child_id", flat=True
            )
        )
        account._granted_child_ids = cached  # type: ignore[attr-defined]
    return cached


def _in_scope(account: User) -> QuerySet[Child]:
    # Default deny: province and prefecture officials (FIGURES_ROLES), like a user without a
    # role, fall through to no child at all. So do teachers and organisation staff
    # (ORGANISATION_ROLES): they never open a child's record; the network's own doors show them
    # the little their school's roll or their organisation's referrals carry, and log each read.
    if account.role in REGISTRY_ROLES:
        villages = scope_village_ids(account)
        return Child.objects.filter(village_id__in=villages or [])
    # Carers (officers, doctors, volunteers) see only the children paired with them now. Pairing
    # is a higher layer, so its rows are reached by relation name rather than by import.
    if account.role in CARER_ROLES and account.carer_id is not None:
        # One filter() call: both conditions hold on the same pairing row. A carer has one role
        # and a child one open pairing per role, so the join cannot repeat a child.
        paired = Child.objects.filter(
            pairings__carer_id=account.carer_id, pairings__until__isnull=True
        )
        if account.role == Role.VOLUNTEER:
            # A volunteer sees a child only while the guardian's consent holds (one open consent
            # per purpose, so this join cannot repeat a child either).
            paired = paired.filter(
                consents__purpose=ConsentPurpose.VOLUNTEER, consents__withdrawn_on__isnull=True
            )
        return paired
    return Child.objects.none()


def children_in_scope(user: User) -> QuerySet[Child]:
    """The children the user answers for: those of their area, or those paired with them today
    (for a volunteer, while the guardian's consent holds). Unlike `children_for_user`, never a
    child opened by break-the-glass."""
    account = _as_user(user)
    if account is None:
        return Child.objects.none()
    return _in_scope(account)


def children_for_user(user: User) -> QuerySet[Child]:
    """All children (active and exited) the user may see; an empty queryset by default.

    Besides the user's scope: children opened by break-the-glass while the access lasts."""
    account = _as_user(user)
    if account is None:
        return Child.objects.none()
    scoped = _in_scope(account)
    granted = _granted_child_ids(account)
    if not granted:
        return scoped
    return Child.objects.filter(Q(pk__in=scoped.values("pk")) | Q(pk__in=granted))


def children_for_user_filter(
    user: User,
    *,
    child: str = "child",
    village: str | None = None,
    village_kept: bool = False,
) -> Q:
    """`children_for_user` as a condition on rows that point at a child through `child` (a
    relation to Child): the same children, without building the set of every child in scope
    on each query. For an area-scoped user it is a condition on the child's village (a join),
    and, given `village`, on the row's own copy of the child's village too, which the row's
    index can lead with; children opened by break-the-glass by their ids. For everyone else,
    the children's ids as `children_for_user` gives them.

    `village_kept`: the row's copy is moved with the child in the move's transaction (the
    registry's `on_child_moved`), so the copy alone decides and the child is not joined (the
    lists of a county of a million children read their own rows only)."""
    account = _as_user(user)
    if account is None:
        return Q(pk__in=[])
    if account.role not in REGISTRY_ROLES:
        return Q(**{f"{child}__in": children_for_user(account).values("pk")})
    villages = scope_village_ids(account) or []
    if village is not None and village_kept:
        scoped = Q(**{f"{village}_id__in": villages})
    else:
        scoped = Q(**{f"{child}__village_id__in": villages})
        if village is not None:
            scoped &= Q(**{f"{village}_id__in": villages})
    granted = _granted_child_ids(account)
    return scoped | Q(**{f"{child}_id__in": granted}) if granted else scoped


def child_visible(user: User, child: Child) -> bool:
    """Whether the user may see `child`, a child already loaded (through this layer): for an
    area-scoped user checked against their villages without a query; a carer's pairing is read.
    Not a read of the child's record: nothing is logged."""
    account = _as_user(user)
    if account is None:
        return False
    if account.role in REGISTRY_ROLES:
        if child.village_id in (scope_village_ids(account) or ()):
            return True
    elif _in_scope(account).filter(pk=child.pk).exists():
        return True
    return child.pk in _granted_child_ids(account)


def child_get_for_user(
    user: User,
    child_id: int | str,
    purpose: AccessPurpose | str,
    *,
    route: str = "",
    reason: str = "",
    allowed: Callable[[User, Child], bool] | None = None,
) -> Child:
    """One child the user may see, for a stated purpose; logged. 404 if missing or out of scope.

    Raises PermissionDenied (403) when the child is in scope but the purpose is a change the
    user's role may not make (a carer editing the registry), or when `allowed` (the page's or
    operation's own rule, such as "only the child's doctor examines") says no. A refusal is
    written to the access log as one (outcome "refused"), never as a read.
    """
    try:
        pk = int(child_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    account = _as_user(user)
    if account is None:
        raise NotFound
    # The user's scope first: one query for the usual read. Break-the-glass grants are looked up
    # only for a child outside it.
    child = _child_read(_in_scope(account), pk)
    if child is None and pk in _granted_child_ids(account):
        child = _child_read(Child.objects.all(), pk)
    if child is None:
        raise NotFound
    purpose = AccessPurpose(purpose)
    refused = (
        (purpose in WRITE_PURPOSES and account.role not in REGISTRY_ROLES)
        or (purpose == AccessPurpose.REVEAL_ID and account.role != Role.COUNTY_ADMIN)
        or (allowed is not None and not allowed(account, child))
    )
    if not refused and purpose in REASON_PURPOSES:
        reason = reason_validate(reason)  # a ValidationError (422) before anything is shown
    outcome = AccessOutcome.REFUSED if refused else AccessOutcome.ALLOWED
    access_log_write(account, child.pk, purpose, route=route, reason=reason, outcome=outcome)
    if refused:
        raise PermissionDenied
    return child


def access_log_write(
    account: User,
    child_id: int,
    purpose: AccessPurpose | str,
    *,
    route: str = "",
    reason: str = "",
    outcome: AccessOutcome | str = AccessOutcome.ALLOWED,
) -> AccessLog:
    """Write an access to a child (a read, or a refused attempt) to the access log and watch for
    unusual access. Every entry of the log is written here: the watch counts a child only on its
    first entry within the hour, which holds only if every earlier entry was watched too.

    A refusal written inside a transaction that the refusal then rolls back would be lost: the
    callers that refuse (`child_get_for_user`, break-the-glass, registration probes) write it
    outside their own transactions."""
    read = chain_append(
        AccessLog(
            user=account,
            child_id=child_id,
            purpose=purpose,
            route=route[:100],
            reason=reason[:255],
            outcome=outcome,
        )
    )
    _watch_for_unusual_access(account, read)
    return read


def may_export_lists(user: User) -> bool:
    """Whether the user may take a list (children, carers, due, risk, alerts) away as a file:
    the registry's keepers (county administrators, supervisors, directors), for the lists they
    see. Carers work from the pages; a file of children leaves no trace of who reads it later."""
    return keeps_registry(user)


def list_export_record(
    account: User,
    list_name: str,
    file_format: str,
    *,
    filters: dict[str, str],
    rows: int,
    route: str = "",
) -> ListExport:
    """Write one export of a list to the log of exports (one entry per export, with the filters
    and the number of rows: docs/privacy.md, "Exports"), before any row leaves."""
    return chain_append(
        ListExport(
            user=account,
            county=county_of_user(account),
            list_name=list_name,
            file_format=file_format,
            filters={str(k): str(v)[:100] for k, v in filters.items()},
            rows=rows,
            route=route[:100],
        )
    )


def _child_read(children: QuerySet[Child], pk: int) -> Child | None:
    # One row at most (a primary key; a carer's pairing joins cannot repeat a child), so no
    # ORDER BY: `first()` would build one.
    rows = list(
        children.select_related("village", "village__parent", "guardian")
        .filter(pk=pk)
        .order_by()[:1]
    )
    return rows[0] if rows else None


def _watch_for_unusual_access(account: User, read: AccessLog) -> None:
    """One user opening many children within an hour is unusual: at the moment the count of
    distinct children reaches the threshold, the county administrators get a notice.

    A read of a child the user already opened within the hour leaves the count as it was, so it
    cannot be the read that reaches the threshold; then only that earlier read is looked for."""
    threshold = settings.UNUSUAL_ACCESS_PER_HOUR
    within = AccessLog.objects.filter(user=account, at__gte=timezone.now() - _WATCH_WINDOW)
    if within.filter(child_id=read.child_id, seq__lt=read.seq).exists():
        return
    opened = within.values("child_id").distinct().count()
    if opened != threshold:
        return
    notify_county_admins(
        account,
        kind="unusual_access",
        params={"user": account.username, "children": opened, "minutes": 60},
    )


def county_of_user(account: User) -> Area | None:
    """The county a user works in: through their area, their carer record's organisation or
    their own organisation (teachers, organisation staff)."""
    area = account.area
    if area is None and account.carer is not None:
        area = account.carer.organisation.area
    if area is None and account.organisation is not None:
        area = account.organisation.area
    while area is not None and area.level != Area.Level.COUNTY:
        area = area.parent
    return area


def notify_county_admins(account: User, *, kind: str, params: dict[str, Any]) -> int:
    """A notice for every county administrator of the user's county; never names a child."""
    county = county_of_user(account)
    if county is None:
        return 0
    admins = User.objects.filter(role=Role.COUNTY_ADMIN, area=county, is_active=True)
    return len(
        Notice.objects.bulk_create(
            [
                Notice(recipient=admin, kind=kind, params=params, link="/access-log/")
                for admin in admins
            ]
        )
    )


def can_register_in(user: User, village: Area) -> bool:
    """Whether the user may register or move a child into this village."""
    villages = scope_village_ids(user)
    return villages is not None and village.level == Area.Level.VILLAGE and village.pk in villages


def areas_for_user(user: User) -> QuerySet[Area]:
    """The areas a user may filter by and register into: their own subtree. None for province
    and prefecture officials: they filter no child's record (their figures come per county,
    `county_figures`)."""
    account = _as_user(user)
    if account is None or account.area is None or account.role in FIGURES_ROLES:
        return Area.objects.none()
    if account.area.level == Area.Level.VILLAGE:
        return Area.objects.filter(pk=account.area.pk)
    return Area.objects.filter(code__startswith=account.area.code)


# Users and their API tokens. -------------------------------------------------------------------


_MAX_ID = 2**63 - 1  # beyond a 64-bit key nothing exists (and the database would refuse it)


def users_of_county(county: Area) -> QuerySet[User]:
    """The users who work in a county: by their area, their carer record's organisation's or
    their own organisation's."""
    return User.objects.filter(
        Q(area__code__startswith=county.code)
        | Q(carer__organisation__area__code__startswith=county.code)
        | Q(organisation__area__code__startswith=county.code)
    )


def may_manage_user(actor: User, user: User) -> bool:
    """Whether `actor` may act on `user`'s account (list and revoke their API tokens): an active
    county administrator, for any user who works in the same county (themselves included)."""
    account = _as_user(actor)
    if account is None or account.role != Role.COUNTY_ADMIN or account.area is None:
        return False
    county = county_of_user(user)
    return county is not None and county.pk == account.area_id


def may_manage_users(actor: User) -> bool:
    """Whether `actor` manages the accounts of a county at all (a county administrator)."""
    account = _as_user(actor)
    return account is not None and account.role == Role.COUNTY_ADMIN and account.area is not None


def managed_users_for_user(actor: User) -> QuerySet[User]:
    """The users whose accounts `actor` may manage (`may_manage_user`), as a queryset."""
    account = _as_user(actor)
    if account is None or not may_manage_users(account) or account.area is None:
        return User.objects.none()
    return users_of_county(account.area)


def user_get_for_user(actor: User, user_id: int) -> User:
    """A user `actor` may manage; NotFound for a missing one and one of another county."""
    if not 0 < user_id <= _MAX_ID:
        raise NotFound
    user = (
        managed_users_for_user(actor)
        .select_related("area", "carer", "carer__organisation__area", "organisation")
        .filter(pk=user_id)
        .first()
    )
    if user is None:
        raise NotFound
    return user


def api_token_get_for_user(actor: User, token_id: int) -> ApiToken:
    """One API token `actor` may revoke: their own, or (a county administrator) any of a user in
    their county. NotFound for a missing one and anybody else's alike."""
    account = actor if isinstance(actor, User) and actor.is_active else None
    if account is None or not 0 < token_id <= _MAX_ID:
        raise NotFound
    token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None or not (token.user_id == account.pk or may_manage_user(account, token.user)):
        raise NotFound
    return token


def carer_get_for_user(user: User, carer_id: int) -> Carer:
    """One carer the user may see (`carers_for_user`); NotFound for a missing one and one out of
    reach alike."""
    carer = (
        carers_for_user(user)
        .select_related("organisation", "organisation__area")
        .prefetch_related("service_areas")
        .filter(pk=carer_id)
        .first()
    )
    if carer is None:
        raise NotFound
    return carer


def carers_for_user(user: User) -> QuerySet[Carer]:
    """Carers a user may see: registry staff see their county's carers; a carer sees themself."""
    if not user.is_active or not user.role:
        return Carer.objects.none()
    if user.role in REGISTRY_ROLES and user.area is not None:
        county_code = user.area.code[:6]
        return Carer.objects.filter(organisation__area__code__startswith=county_code)
    if user.role in CARER_ROLES and user.carer_id is not None:
        return Carer.objects.filter(pk=user.carer_id)
    return Carer.objects.none()


def duplicate_flag_get_for_user(user: User, flag_id: int) -> DuplicateFlag:
    """A possible duplicate whose first child the user may see; NotFound otherwise. Each child of
    the pair is then opened with `child_get_for_user` (purpose "duplicate"), which logs it."""
    flag = (
        DuplicateFlag.objects.filter(pk=flag_id, child__in=children_for_user(user))
        .select_related("child", "other")
        .first()
    )
    if flag is None:
        raise NotFound
    return flag


# The county's own people and places: what a county administrator (and, for volunteers, a
# supervisor or a director) may change. ----------------------------------------------------------


def county_for_admin(user: User) -> Area | None:
    """The county an active county administrator runs (carers, organisations, users, areas,
    settings, pairing); None for everyone else."""
    account = _as_user(user)
    if account is None or account.role != Role.COUNTY_ADMIN or account.area is None:
        return None
    return account.area if account.area.level == Area.Level.COUNTY else None


def administers_county(user: User) -> bool:
    """Whether the user runs a county's people and places (the "County" pages)."""
    return county_for_admin(user) is not None


def in_county(county: Area, area: Area) -> bool:
    """Whether `area` is the county or lies below it (codes nest: GB/T 2260)."""
    return area.pk == county.pk or (
        area.level != Area.Level.COUNTY and area.code.startswith(county.code)
    )


def may_propose_volunteers(user: User) -> bool:
    """Who may add a volunteer: county administrators (who add every kind of carer), and a
    supervisor or a director for their own township or village, who knows the people willing to
    help. Such a volunteer cannot be paired until a county administrator records the background
    check and the training (`carer_vet`)."""
    return keeps_registry(user)


def carer_areas_for_user(user: User) -> QuerySet[Area]:
    """The townships and villages a user may name as a carer's service area: the county
    administrator's county; a supervisor's township and its villages; a director's village."""
    account = _as_user(user)
    if account is None or account.role not in REGISTRY_ROLES or account.area is None:
        return Area.objects.none()
    below = ~Q(level=Area.Level.COUNTY)
    if account.area.level == Area.Level.VILLAGE:
        return Area.objects.filter(pk=account.area.pk)
    return Area.objects.filter(below, code__startswith=account.area.code)


def carer_get_for_admin(user: User, carer_id: int) -> Carer:
    """A carer of the county the user administers; NotFound for a missing one, one of another
    county and for anyone but a county administrator alike."""
    county = county_for_admin(user)
    if county is None or not 0 < carer_id <= _MAX_ID:
        raise NotFound
    carer = (
        Carer.objects.select_related("organisation", "organisation__area")
        .prefetch_related("service_areas")
        .filter(pk=carer_id, organisation__area__code__startswith=county.code)
        .first()
    )
    if carer is None:
        raise NotFound
    return carer


def organisations_for_user(user: User) -> QuerySet[Organisation]:
    """The organisations (stations, health centres, clinics, volunteer groups) of the user's
    county, for registry staff (who name one when they add a volunteer); none for others."""
    account = _as_user(user)
    if account is None or account.role not in REGISTRY_ROLES or account.area is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(area__code__startswith=account.area.code[:6])


def organisation_get_for_admin(user: User, organisation_id: int) -> Organisation:
    """An organisation of the county the user administers; NotFound otherwise."""
    county = county_for_admin(user)
    if county is None or not 0 < organisation_id <= _MAX_ID:
        raise NotFound
    organisation = (
        Organisation.objects.select_related("area")
        .filter(pk=organisation_id, area__code__startswith=county.code)
        .first()
    )
    if organisation is None:
        raise NotFound
    return organisation


def area_get_for_admin(user: User, area_id: int) -> Area:
    """A township or village of the county the user administers; NotFound otherwise."""
    county = county_for_admin(user)
    if county is None or not 0 < area_id <= _MAX_ID:
        raise NotFound
    area = (
        Area.objects.select_related("parent")
        .filter(pk=area_id, code__startswith=county.code)
        .exclude(level=Area.Level.COUNTY)
        .first()
    )
    if area is None:
        raise NotFound
    return area


def managed_areas(user: User) -> QuerySet[Area]:
    """The areas a county administrator may give a user of their county: the county and every
    township and village in it."""
    county = county_for_admin(user)
    if county is None:
        return Area.objects.none()
    return Area.objects.filter(code__startswith=county.code)


def may_add_carer(user: User, role: str) -> bool:
    """County administrators add any carer; supervisors and directors propose volunteers."""
    if county_for_admin(user) is not None:
        return True
    return may_propose_volunteers(user) and role == CarerRole.VOLUNTEER
