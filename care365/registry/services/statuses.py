"""A child's statuses: adding and ending one, ageing out, and the copy of the open ones kept on
the child (Child.open_statuses)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.core.audit import audit
from care365.registry.hooks import child_changed
from care365.registry.models import (
    STATUS_AGE_LIMIT,
    STATUS_BIT,
    Child,
    ChildStatus,
    StatusEndReason,
    StatusKind,
)
from care365.registry.services.common import _birthday

# Children synced per statement: few enough for any database's limit on query parameters.
SYNC_CHUNK = 500


def _open_status_bits() -> Coalesce:
    """The open_statuses a child's open ChildStatus rows add up to, as an SQL expression for an
    UPDATE of Child (a sum of distinct bits: one open status per kind)."""
    bit = Case(
        *(When(kind=kind, then=Value(b)) for kind, b in STATUS_BIT.items()),
        default=Value(0),
        output_field=IntegerField(),
    )
    bits = (
        ChildStatus.objects.filter(child=OuterRef("pk"), ended_on__isnull=True)
        .order_by()
        .values("child")
        .annotate(bits=Sum(bit))
        .values("bits")
    )
    return Coalesce(Subquery(bits), Value(0), output_field=IntegerField())


def open_statuses_sync(child_ids: Iterable[int]) -> None:
    """Recompute Child.open_statuses from the open ChildStatus rows of these children.

    Every writer of ChildStatus calls it after its writes, in the same transaction: two queries
    per SYNC_CHUNK children. The children's rows are locked first (in id order), so that on
    PostgreSQL the update reads every status committed by a writer that held them before: two
    services changing one child's statuses at once both leave the copy right.
    """
    ids = sorted(set(child_ids))
    with transaction.atomic(savepoint=False):  # the caller's transaction, when there is one
        for start in range(0, len(ids), SYNC_CHUNK):
            chunk = ids[start : start + SYNC_CHUNK]
            locked = Child.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
            list(locked.values_list("pk", flat=True))
            Child.objects.filter(pk__in=chunk).update(open_statuses=_open_status_bits())


def _open_statuses_sync_child(child: Child) -> None:
    """open_statuses_sync for one child, and the caller's instance shows the new value."""
    open_statuses_sync([child.pk])
    child.refresh_from_db(fields=["open_statuses"])


@transaction.atomic
def status_add(
    *, actor: AbstractBaseUser, child: Child, kind: str, started_on: date | None = None
) -> ChildStatus:
    if kind not in StatusKind.values:
        raise ValidationError({"kind": _("Choose a status.")})
    if child.exited_on is not None:
        raise ValidationError(_("This child has left the registry."), code="exited")
    if ChildStatus.objects.filter(child=child, kind=kind, ended_on__isnull=True).exists():
        raise ValidationError({"kind": _("This status is already open.")})
    started = started_on or timezone.localdate()
    limit = STATUS_AGE_LIMIT[kind]
    if child.age_on(started) >= limit:
        raise ValidationError(
            {"kind": _("This status is for children under %(age)d.") % {"age": limit}}
        )
    status = ChildStatus.objects.create(child=child, kind=kind, started_on=started)
    _open_statuses_sync_child(child)
    audit(actor=actor, action="status_add", obj=child, changes=["statuses"], note=kind)
    child_changed(child.pk)
    return status


@transaction.atomic
def status_end(
    *, actor: AbstractBaseUser, status: ChildStatus, reason: str, on: date | None = None
) -> ChildStatus:
    if reason not in StatusEndReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    on = on or timezone.localdate()
    updated = ChildStatus.objects.filter(pk=status.pk, ended_on__isnull=True).update(
        ended_on=on, end_reason=reason
    )
    if not updated:
        raise ValidationError(_("This status has already ended."), code="ended")
    status.refresh_from_db()
    _open_statuses_sync_child(status.child)
    audit(actor=actor, action="status_end", obj=status.child, changes=["statuses"], note=reason)
    child_changed(status.child_id)
    return status


@transaction.atomic
def statuses_age_out(*, today: date | None = None) -> int:
    """End every open status whose child has reached its age limit, on the birthday itself.

    Idempotent: run daily by the worker, and a missed day is caught up by the next run.
    """
    today = today or timezone.localdate()
    ended = 0
    children: set[int] = set()  # whose statuses ended: their open_statuses is synced once
    for kind, limit in STATUS_AGE_LIMIT.items():
        cutoff = _birthday(today, -limit)  # born on or before this date: reached the limit
        due = ChildStatus.objects.filter(
            kind=kind, ended_on__isnull=True, child__birth_date__lte=cutoff
        ).select_related("child")
        for status in due.iterator(chunk_size=2000):
            status.ended_on = _birthday(status.child.birth_date, limit)
            status.end_reason = StatusEndReason.AGED_OUT
            status.save(update_fields=["ended_on", "end_reason"])
            children.add(status.child_id)
            ended += 1
    open_statuses_sync(children)
    return ended
