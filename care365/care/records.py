"""A child's whole record, for a guardian's access request (PIPL arts. 44-45): everything Care365
holds about the child and who read it. County administrators only; the caller obtains the child
with `child_get_for_user(..., AccessPurpose.EXPORT)`, which logs the export."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone

from care365.accounts.models import AccessLog, User
from care365.accounts.visibility import child_view
from care365.core.models import AuditEvent
from care365.pairing.models import Pairing
from care365.registry.models import Child, Consent


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def child_record(user: User, child: Child) -> dict[str, Any]:
    """The record as JSON-ready data: the child's fields in full, consents, carers past and
    present, every read of the record and every change to it (which fields, not their values)."""
    data = child_view(child, user, reveal_id=True).data
    record: dict[str, Any] = _plain(
        {
            "format": "care365.child-record/1",
            "exported_at": timezone.now(),
            "child": {"id": child.pk, **data},
            "consents": list(
                Consent.objects.filter(child=child)
                .order_by("given_on", "pk")
                .values("purpose", "given_on", "reference", "withdrawn_on")
            ),
            "carers": [
                {
                    "role": p.role,
                    "carer": p.carer.name,
                    "organisation": p.carer.organisation.name,
                    "since": p.since,
                    "until": p.until,
                    "end_reason": p.end_reason,
                }
                for p in Pairing.objects.filter(child=child)
                .select_related("carer", "carer__organisation")
                .order_by("since", "pk")
            ],
            "reads": [
                {
                    "at": row.at,
                    "user": row.user.get_full_name() or row.user.username,
                    "role": row.user.role,
                    "purpose": row.purpose,
                    "reason": row.reason,
                    "outcome": row.outcome,
                }
                for row in AccessLog.objects.filter(child=child)
                .select_related("user")
                .order_by("at", "pk")
            ],
            "changes": [
                {"at": e.at, "action": e.action, "fields": list(e.changes)}
                for e in AuditEvent.objects.filter(
                    object_type=Child._meta.label_lower, object_id=child.pk
                ).order_by("seq")
            ],
        }
    )
    return record
