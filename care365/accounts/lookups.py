"""Look-ups by a full ID number: a search of the children list and confirm-id (docs/privacy.md,
"Look-ups by ID number").

A full ID number is a key to one child, so a look-up by one is an oracle unless it is limited:
only roles that see the (masked) ID number may make one, each user makes at most
ID_LOOKUPS_PER_HOUR of them within an hour, and every one is written to the `IdLookup` log
(the number as a keyed hash, never in clear) and, for each child it found, to that child's
access log. A user who needs to know whether a number is a child's types it and learns "match"
or "no match" (`child_confirm_id`), never the number itself.
"""

from __future__ import annotations

import hmac
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from care365.accounts.access import access_log_write, child_get_for_user, county_of_user
from care365.accounts.models import AccessPurpose, IdLookup, Role, User
from care365.accounts.reasons import reason_validate
from care365.accounts.visibility import param_allowed, refuse_params
from care365.core import crypto
from care365.core.ledger import chain_append
from care365.registry import idnumber
from care365.registry.models import Child

WINDOW = timedelta(hours=1)


class IdLookupThrottledError(ValidationError):
    """Too many look-ups by ID number within the hour; the API answers 422 like any refusal."""

    def __init__(self) -> None:
        limit = settings.ID_LOOKUPS_PER_HOUR
        super().__init__(
            ngettext(
                "You have looked up %(n)d ID number within the hour, the most allowed. "
                "Try again later.",
                "You have looked up %(n)d ID numbers within the hour, the most allowed. "
                "Try again later.",
                limit,
            )
            % {"n": limit},
            code="throttled",
        )


def looks_like_id_number(text: str) -> bool:
    """Whether a search text is meant as a full ID number (and is looked up as one)."""
    number = idnumber.normalise(text)
    return len(number) == 18 and number[:17].isdigit()


def may_look_up_id_numbers(user: User) -> bool:
    return param_allowed(user, "children", "id_number")


def _over_limit(user: User) -> bool:
    """Whether the user has used up the hour's look-ups. Called inside the look-up's
    transaction after locking the user's row, so simultaneous look-ups are counted in turn."""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    since = timezone.now() - WINDOW
    done = IdLookup.objects.filter(user=user, at__gte=since, throttled=False).count()
    return done >= settings.ID_LOOKUPS_PER_HOUR


def _record(user: User, kind: str, number: str, *, route: str, **fields: object) -> IdLookup:
    return chain_append(
        IdLookup(
            user=user,
            county=county_of_user(user),
            kind=kind,
            number_hash=crypto.lookup_hash(number),
            route=route[:100],
            **fields,
        )
    )


def id_number_search(
    user: User, children: QuerySet[Child], text: str, *, route: str
) -> QuerySet[Child]:
    """The children among `children` (the user's, already filtered) with this full ID number.

    Refused (ValidationError, 422) to roles that do not see ID numbers and past the hourly
    limit; every look-up, found or not, is logged."""
    refuse_params(user, "children", {"q": "id_number"})
    number = idnumber.normalise(text)
    with transaction.atomic():
        throttled = _over_limit(user)
        found: list[int] = []
        if not throttled:
            found = list(
                children.filter(id_number_hash=crypto.lookup_hash(number))
                .order_by()
                .values_list("pk", flat=True)
            )
        _record(
            user,
            IdLookup.Kind.SEARCH,
            number,
            route=route,
            matched=len(found),
            throttled=throttled,
        )
        for pk in found:
            access_log_write(user, pk, AccessPurpose.ID_SEARCH, route=route)
    if throttled:
        raise IdLookupThrottledError
    return children.filter(pk__in=found)


def child_confirm_id(user: User, child_id: int, id_number: str, *, reason: str, route: str) -> bool:
    """Whether `id_number` is the child's full ID number: match or no match, nothing more.

    For the roles that see a child's (masked) ID number, with a reason (the one rule of
    `reasons.reason_validate`); the child is read through the access layer (404 outside the
    user's scope), the question goes to the child's access log with the reason and to the
    look-up log with the number's keyed hash; at most ID_LOOKUPS_PER_HOUR within an hour."""
    if not may_look_up_id_numbers(user):
        raise PermissionDenied
    reason = reason_validate(reason)
    number = idnumber.normalise(id_number)
    if not looks_like_id_number(number):
        raise ValidationError(
            {"id_number": [_("Type the whole ID number: 18 characters.")]}, code="shape"
        )
    with transaction.atomic():
        if _over_limit(user):
            _record(user, IdLookup.Kind.CONFIRM, number, route=route, throttled=True, reason=reason)
            throttled = True
        else:
            throttled = False
            child = child_get_for_user(
                user, child_id, AccessPurpose.CONFIRM_ID, route=route, reason=reason
            )
            match = hmac.compare_digest(child.id_number_hash or "", crypto.lookup_hash(number))
            _record(
                user,
                IdLookup.Kind.CONFIRM,
                number,
                route=route,
                child=child,
                matched=int(match),
                reason=reason,
            )
    if throttled:
        raise IdLookupThrottledError
    return match


def break_glass_lookup_record(
    user: User, number: str, *, child: Child | None, route: str = "break-the-glass"
) -> None:
    """Count a break-the-glass attempt as a look-up by ID number: it names a child by the full
    number, so the answer ("no child of your county has this number", or the record) must not
    be an oracle either. The attempt goes to the look-up log (`child`: the child of the user's
    county it opens, if any) and counts against the same hourly limit; past the limit it is
    refused (IdLookupThrottledError) before anything is opened."""
    with transaction.atomic():
        throttled = _over_limit(user)
        _record(
            user,
            IdLookup.Kind.BREAK_GLASS,
            number,
            route=route,
            child=None if throttled else child,
            matched=0 if throttled or child is None else 1,
            throttled=throttled,
        )
    if throttled:
        raise IdLookupThrottledError


def registration_probes_guard(user: User) -> None:
    """Registering or editing a child answers "already registered" for a number on record, so
    each such answer is a look-up that found a child (`registration_probe_record`). Once a user
    has had ID_LOOKUPS_PER_HOUR of them within the hour, every registration or change of an ID
    number is refused for the rest of it (IdLookupThrottledError): refusing only the numbers on
    record would answer the question all the same."""
    since = timezone.now() - WINDOW
    probes = IdLookup.objects.filter(
        user=user, kind=IdLookup.Kind.REGISTRATION, at__gte=since
    ).count()
    if probes >= settings.ID_LOOKUPS_PER_HOUR:
        raise IdLookupThrottledError


def registration_probe_record(user: User, child: Child, *, route: str) -> None:
    """A registration or an edit typed the ID number of `child`: a look-up that found a child
    (the number's keyed hash is the child's own; the number itself was never kept)."""
    chain_append(
        IdLookup(
            user=user,
            county=county_of_user(user),
            kind=IdLookup.Kind.REGISTRATION,
            number_hash=child.id_number_hash or "",
            child=child,
            matched=1,
            route=route[:100],
        )
    )


def day_starts(since: date | None, until: date | None) -> dict[str, datetime]:
    """Bounds on a log's `at` for the local days `since`..`until` (inclusive), as filters:
    `at__gte` the start of `since`, `at__lt` the start of the day after `until`. The same rows
    as `at__date__gte`/`at__date__lte`, but on the column itself, so its index is used (a
    function of the column would be evaluated on every row of the log). A day at the very end
    of the calendar bounds nothing (no instant in UTC lies beyond it), rather than overflowing."""
    bounds: dict[str, datetime] = {}
    if since is not None and since > date.min + timedelta(days=1):
        bounds["at__gte"] = timezone.make_aware(datetime.combine(since, time.min))
    if until is not None and until < date.max - timedelta(days=1):
        bounds["at__lt"] = timezone.make_aware(
            datetime.combine(until + timedelta(days=1), time.min)
        )
    return bounds


def id_lookups_for_county(
    user: User,
    *,
    username: str = "",
    child: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[IdLookup]:
    """The look-ups by ID number made by the administrator's county's users, found or not,
    newest first (county administrators only)."""
    county = user.area if user.role == Role.COUNTY_ADMIN else None
    if county is None:
        return IdLookup.objects.none()
    entries = IdLookup.objects.filter(county=county)
    if username:
        entries = entries.filter(user__username=username)
    if child is not None:
        entries = entries.filter(child_id=child)
    entries = entries.filter(**day_starts(since, until))
    return entries.select_related("user", "user__carer", "user__area").order_by("-at", "-pk")
