"""Writes about users: API tokens, demo accounts."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.core import crypto
from care365.core.audit import audit
from care365.registry import idnumber
from care365.registry.models import Child

from .access import access_log_write, county_of_user, notify_county_admins
from .models import AccessGrant, AccessPurpose, ApiToken, User
from .reasons import reason_validate


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@transaction.atomic
def api_token_create(*, user: User) -> str:
    """Issue a bearer token for `user`. Only its hash is kept: this is the one time it exists."""
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        key_hash=_digest(token),
        expires_at=timezone.now() + timedelta(hours=settings.API_TOKEN_HOURS),
    )
    audit(actor=user, action="api_token_create", obj=user)
    return token


def api_token_user(token: str) -> User | None:
    """The active user a bearer token belongs to, or None if unknown, expired or disabled."""
    now = timezone.now()
    row = (
        ApiToken.objects.select_related("user", "user__area", "user__carer")
        .filter(key_hash=_digest(token), expires_at__gt=now)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


@transaction.atomic
def access_grant_open(*, user: User, id_number: str, reason: str) -> AccessGrant:
    """Break-the-glass: open a child of the user's county outside their scope, for a reason.

    The child is found by the full ID number (a keyed hash look-up: nothing is decrypted). The
    access lasts BREAK_GLASS_MINUTES, the opening is written to the access log with the reason,
    and every county administrator is told. A number that matches no child of the county gets
    the same answer as one that matches a child of another county."""
    reason = reason_validate(reason)
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
