"""Requests to move a child's record to another village: opened and decided."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.areas.models import Area
from care365.core.audit import audit
from care365.registry.models import TransferRequest
from care365.registry.services.children import child_update


def transfer_request_open(
    *, actor: AbstractBaseUser, child_id: int, village: Area
) -> tuple[TransferRequest, bool]:
    """Ask the county administrators to move a child's record to `village`: someone there typed
    the child's ID number into a registration (most often, the child moved). One request is
    open per child and village; asking again returns it. (request, whether it is new)."""
    with transaction.atomic():
        open_ = TransferRequest.objects.filter(
            child_id=child_id, village=village, status=TransferRequest.Status.OPEN
        )
        existing = open_.first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                request = TransferRequest.objects.create(
                    child_id=child_id, village=village, requested_by_id=actor.pk
                )
        except IntegrityError:  # opened at the same moment by another request
            return open_.get(), False
        audit(actor=actor, action="transfer_request_open", obj=request.child, note=village.code)
        return request, True


@transaction.atomic
def transfer_request_decide(
    *, actor: AbstractBaseUser, transfer: TransferRequest, accept: bool
) -> TransferRequest:
    """Accept (the child is moved to the requesting village, as `child_update` moves a child,
    audited) or decline a transfer request. Deciding twice is refused: whoever decided first
    wins, and nothing else changes."""
    status = TransferRequest.Status.ACCEPTED if accept else TransferRequest.Status.DECLINED
    updated = TransferRequest.objects.filter(
        pk=transfer.pk, status=TransferRequest.Status.OPEN
    ).update(status=status, decided_at=timezone.now(), decided_by=actor)
    if not updated:
        raise ValidationError(_("This transfer request has already been decided."), code="decided")
    transfer.refresh_from_db()
    if accept:
        child_update(actor=actor, child=transfer.child, values={"village": transfer.village})
    audit(actor=actor, action="transfer_request_decide", obj=transfer.child, note=status)
    return transfer
