"""Notices: short messages for one user, shown on their home page until they mark them read."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from care365.core.models import Notice


def notices_unread(recipient: AbstractBaseUser, *, limit: int = 20) -> QuerySet[Notice]:
    return Notice.objects.filter(recipient_id=recipient.pk, read_at__isnull=True)[:limit]


def notices_mark_read(*, recipient: AbstractBaseUser) -> int:
    """Mark every unread notice of the user read; returns how many."""
    return Notice.objects.filter(recipient_id=recipient.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
