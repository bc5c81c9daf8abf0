"""Writing audit rows from services, inside their transaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from care365.core.ledger import chain_append
from care365.core.models import AuditEvent


def audit(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    obj: models.Model,
    changes: Iterable[str] = (),
    note: str = "",
) -> AuditEvent:
    """Record that `actor` performed `action` on `obj`; call inside the service's transaction.
    The entry joins the audit trail's hash chain (core/ledger.py).

    `actor` is typed as Django's base user and stored by id: core sits below accounts and does
    not import its User model, the type of the `actor` foreign key."""
    return chain_append(
        AuditEvent(
            actor_id=getattr(actor, "pk", None) or None,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            changes=sorted(changes),
            note=note[:255],
        )
    )
