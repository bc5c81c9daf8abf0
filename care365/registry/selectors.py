"""Reads of the registry's own records, for a child already reached through the access layer
(`care365.accounts.access.child_get_for_user`)."""

from __future__ import annotations

from care365.core.errors import NotFound
from care365.registry.models import Child, ChildStatus


def status_open_get(child: Child, kind: str) -> ChildStatus:
    """The child's open status of this kind; NotFound if there is none."""
    status = ChildStatus.objects.filter(child=child, kind=kind, ended_on__isnull=True).first()
    if status is None:
        raise NotFound
    return status
