"""Writing audit rows from services, inside their transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from care365.core.ledger import chain_append
from care365.core.models import AuditEvent


def audit(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    changes: Iterable[str] = (),
    note: str = "",
) -> AuditEvent:
    """Record that `actor` performed `action` on `obj`; call inside the service's transaction.
    The entry joins the audit trail's hash chain (core/ledger.py)."""
    return chain_append(
        AuditEvent(
            actor=actor if getattr(actor, "pk", None) else None,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            changes=sorted(changes),
            note=note[:255],
        )
    )
