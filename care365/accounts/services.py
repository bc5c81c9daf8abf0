"""Writes about users: API tokens, demo accounts."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from care365.core.audit import audit

from .models import ApiToken, User


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
