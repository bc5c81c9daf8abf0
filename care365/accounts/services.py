"""Writes about users: API tokens, demo accounts."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from care365.core import crypto
from care365.core.audit import audit
from care365.registry import idnumber
from care365.registry.models import Child

from .access import access_log_write, county_of_user, may_manage_user, notify_county_admins
from .models import AccessGrant, AccessPurpose, ApiToken, User


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


MIN_REASON = 6


@transaction.atomic
def access_grant_open(*, user: User, id_number: str, reason: str) -> AccessGrant:
    """Break-the-glass: open a child of the user's county outside their scope, for a reason.

    The child is found by the full ID number (a keyed hash look-up: nothing is decrypted). The
    access lasts BREAK_GLASS_MINUTES, the opening is written to the access log with the reason,
    and every county administrator is told. A number that matches no child of the county gets
    the same answer as one that matches a child of another county."""
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise ValidationError(
            {
                "reason": _("Say why you need this child's record (at least %(n)d characters).")
                % {"n": MIN_REASON}
            }
        )
    number = idnumber.normalise(id_number)
    county = county_of_user(user) if user.is_active and user.role else None
    child = (
        Child.objects.filter(
            id_number_hash=crypto.lookup_hash(number), village__code__startswith=county.code[:6]
        ).first()
        if county is not None and number
        else None
    )
    if child is None:
        raise ValidationError(
            {"id_number": _("No child of your county has this ID number.")}, code="not_found"
        )
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
        params={"user": user.username, "child": child.pk, "minutes": settings.BREAK_GLASS_MINUTES},
    )
    user.__dict__.pop("_granted_child_ids", None)
    return grant
