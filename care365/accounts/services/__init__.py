"""Writes about users: API tokens, break-the-glass, ID-number probes; and (modules of this
package) the county administrator's writes about users, carers, organisations and areas."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from care365.accounts.access import (
    access_log_write,
    county_of_user,
    may_break_glass,
    may_manage_user,
    notify_county_admins,
)
from care365.accounts.lookups import (
    break_glass_lookup_record,
    registration_probe_record,
    registration_probes_guard,
)
from care365.accounts.models import AccessGrant, AccessOutcome, AccessPurpose, ApiToken, Role, User
from care365.accounts.reasons import reason_validate
from care365.areas.models import Area
from care365.core import crypto
from care365.core.audit import audit
from care365.core.models import Notice
from care365.registry import idnumber
from care365.registry.models import Child
from care365.registry.services import IdNumberTaken, transfer_request_open


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _password_mark(user: User) -> str:
    """A keyed hash of the user's password hash: it changes whenever the password does, by
    whatever route (the way Django ties a session to the password)."""
    return salted_hmac("care365.accounts.api_token", user.password).hexdigest()


TOKEN_PREFIX = 6  # characters of a token kept to tell tokens apart (of 43; it opens nothing)


@transaction.atomic
def api_token_create(*, user: User, label: str = "") -> str:
    """Issue a bearer token for `user`. Only its hash is kept: this is the one time it exists."""
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        key_hash=_digest(token),
        prefix=token[:TOKEN_PREFIX],
        label=" ".join(label.split())[:100],
        password_mark=_password_mark(user),
        expires_at=timezone.now() + timedelta(hours=settings.API_TOKEN_HOURS),
    )
    audit(actor=user, action="api_token_create", obj=user)
    return token


def api_token_find(token: str) -> ApiToken | None:
    """The live token row of a bearer token (with its user), or None if unknown, expired,
    revoked, or its user is disabled or has changed password since (which revokes it now)."""
    now = timezone.now()
    row = (
        ApiToken.objects.select_related("user", "user__area", "user__carer")
        .filter(key_hash=_digest(token), expires_at__gt=now, revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    if not hmac.compare_digest(row.password_mark, _password_mark(row.user)):
        api_tokens_revoke_all(actor=None, user=row.user, why=ApiToken.Revoked.PASSWORD)
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row


def api_token_user(token: str) -> User | None:
    """The active user a bearer token belongs to, or None if unknown, expired, revoked or
    disabled."""
    row = api_token_find(token)
    return None if row is None else row.user


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> bool:
    """Revoke one token: its owner's own, or (a county administrator) one of a user of their
    county. It stops working at once. Returns False if it was revoked already."""
    if token.user_id != actor.pk and not may_manage_user(actor, token.user):
        raise PermissionDenied
    why = ApiToken.Revoked.USER if token.user_id == actor.pk else ApiToken.Revoked.ADMIN
    now = timezone.now()
    done = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor, revoked_why=why
    )
    if not done:
        return False
    token.revoked_at, token.revoked_by, token.revoked_why = now, actor, why
    audit(actor=actor, action="api_token_revoke", obj=token, note=why)
    return True


@transaction.atomic
def api_tokens_revoke_all(*, actor: User | None, user: User, why: str) -> int:
    """Revoke every live token of `user`: on signing out, a password change, two-step sign-in
    turned on or off, a lock-out after failed sign-ins, or by a county administrator (`actor`
    must then be allowed to manage `user`). Returns how many were revoked; an audit row says
    why when there were any."""
    if why == ApiToken.Revoked.ADMIN and (actor is None or not may_manage_user(actor, user)):
        raise PermissionDenied
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor, revoked_why=why
    )
    if revoked:
        audit(
            actor=actor,
            action="api_tokens_revoke",
            obj=user,
            note=f"{why}: {revoked} token(s)",
        )
    return revoked


def access_grant_open(*, user: User, id_number: str, reason: str) -> AccessGrant:
    """Break-the-glass: open a child of the user's county outside their scope, for a reason.

    Only responders may (`may_break_glass`): anyone else is refused (PermissionDenied). The
    child is found by the full ID number (a keyed hash look-up: nothing is decrypted). The
    access lasts BREAK_GLASS_MINUTES, the opening is written to the access log with the reason,
    and every county administrator is told. A number that matches no child of the county gets
    the same answer as one that matches a child of another county.

    A failed attempt leaves a trace without becoming an oracle: when the number is a child's
    (of any county), the refusal is written to that child's access log, where the child's
    county administrators see it; when it is nobody's, to the audit trail under the user. The
    answer is the same either way."""
    number = idnumber.normalise(id_number)
    found = (
        Child.objects.select_related("village").filter(id_number_hash=crypto.lookup_hash(number))
        if number
        else Child.objects.none()
    ).first()
    if not may_break_glass(user):
        _break_glass_refused(user, found, reason, why="role")
        raise PermissionDenied
    reason = reason_validate(reason)
    county = county_of_user(user)
    child = (
        found
        if found is not None
        and county is not None
        and found.village.code.startswith(county.code[:6])
        else None
    )
    break_glass_lookup_record(user, number, child=child)
    if child is None:
        _break_glass_refused(user, found, reason, why="out_of_reach")
        raise ValidationError(
            {"id_number": _("No child of your county has this ID number.")}, code="not_found"
        )
    with transaction.atomic():
        now = timezone.now()
        grant = AccessGrant.objects.create(
            user=user,
            child=child,
            reason=reason[:255],
            granted_at=now,
            expires_at=now + timedelta(minutes=settings.BREAK_GLASS_MINUTES),
        )
        access_log_write(
            user, child.pk, AccessPurpose.BREAK_GLASS, route="break-the-glass", reason=reason
        )
        notify_county_admins(
            user,
            kind="break_glass",
            params={
                "user": user.username,
                "child": child.pk,
                "minutes": settings.BREAK_GLASS_MINUTES,
            },
        )
    user.__dict__.pop("_granted_child_ids", None)  # the access layer's per-request copy
    return grant


def _break_glass_refused(user: User, child: Child | None, reason: str, *, why: str) -> None:
    """Keep a failed break-the-glass attempt, in its own transaction (the refusal that follows
    must not roll it back): on the child's access log when the number is a child's, else in
    the audit trail under the user (why: "role" or "out_of_reach", never the number)."""
    with transaction.atomic():
        if child is not None:
            access_log_write(
                user,
                child.pk,
                AccessPurpose.BREAK_GLASS,
                route="break-the-glass",
                reason=" ".join(reason.split()),
                outcome=AccessOutcome.REFUSED,
            )
        else:
            audit(actor=user, action="break_glass_refused", obj=user, note=why)


def id_number_probe_record(*, actor: User, child_id: int, village: Area | None, route: str) -> None:
    """A registration or an edit (in `village`) typed the ID number of child `child_id`. The
    user was answered "already registered" and nothing more; here the attempt is kept, in its
    own transaction (the refused registration's was rolled back):

    - on that child's access log (purpose "probe", outcome refused), where the county
      administrators of the child's county see who tried the number, from where and when;
    - as a transfer request to the child's county when the child is registered in another
      village (one open request per child and village), with a notice to its administrators
      the first time. The same user learns nothing from either."""
    with transaction.atomic():
        access_log_write(
            actor, child_id, AccessPurpose.PROBE, route=route, outcome=AccessOutcome.REFUSED
        )
        child = Child.objects.select_related("village").filter(pk=child_id).first()
        if child is not None:
            registration_probe_record(actor, child, route=route)
        if child is None or village is None or child.village_id == village.pk:
            return
        request, new = transfer_request_open(actor=actor, child_id=child.pk, village=village)
        if new:
            _notify_child_county(
                child,
                kind="transfer_request",
                params={"child": child.pk, "request": request.pk},
            )


def _notify_child_county(child: Child, *, kind: str, params: dict[str, object]) -> None:
    """A notice for every county administrator of the child's county (params name no one)."""
    county_code = child.village.code[:6]
    admins = User.objects.filter(
        role=Role.COUNTY_ADMIN,
        area__level=Area.Level.COUNTY,
        area__code=county_code,
        is_active=True,
    )
    Notice.objects.bulk_create(
        [Notice(recipient=a, kind=kind, params=params, link="/transfers/") for a in admins]
    )


@contextmanager
def id_number_probes_recorded(actor: User, *, village: Area | None, route: str) -> Iterator[None]:
    """Around a registry service that registers or edits a child: an ID number already on
    record (IdNumberTaken, raised once the service's transaction is rolled back) is recorded
    by `id_number_probe_record`, then re-raised for the page or API to answer as usual. A user
    who has had the hour's share of such answers is refused before the service runs
    (`lookups.registration_probes_guard`)."""
    registration_probes_guard(actor)
    try:
        yield
    except IdNumberTaken as exc:
        id_number_probe_record(actor=actor, child_id=exc.child_id, village=village, route=route)
        raise


# The county administrator's writes about the county's people and places, one module per kind
# (re-exported here; imported last because users.py uses the token services above).
from care365.accounts.services.areas import (  # noqa: E402  # see above
    area_create,
    area_merge,
    area_update,
)
from care365.accounts.services.carers import (  # noqa: E402
    carer_create,
    carer_update,
    carer_vet,
    organisation_create,
    organisation_update,
)
from care365.accounts.services.users import (  # noqa: E402
    user_create,
    user_deactivate,
    user_invite_link,
    user_reactivate,
    user_two_step_reset,
    user_update,
)

__all__ = [
    "access_grant_open",
    "api_token_create",
    "api_token_find",
    "api_token_revoke",
    "api_token_user",
    "api_tokens_revoke_all",
    "area_create",
    "area_merge",
    "area_update",
    "carer_create",
    "carer_update",
    "carer_vet",
    "id_number_probe_record",
    "id_number_probes_recorded",
    "organisation_create",
    "organisation_update",
    "user_create",
    "user_deactivate",
    "user_invite_link",
    "user_reactivate",
    "user_two_step_reset",
    "user_update",
]
