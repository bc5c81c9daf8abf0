"""Possible duplicates (flagged by children.py): confirmed distinct, or merged."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.core.audit import audit
from care365.registry.models import DuplicateFlag, ExitReason
from care365.registry.services.children import child_exit


@transaction.atomic
def duplicate_resolve(
    *, actor: AbstractBaseUser, flag: DuplicateFlag, resolution: str
) -> DuplicateFlag:
    """Confirm two flagged records are different children, or merge the newer into the older.

    Merging exits the newer record with reason "duplicate"; its history stays readable.
    """
    if resolution not in (DuplicateFlag.Resolution.DISTINCT, DuplicateFlag.Resolution.MERGED):
        raise ValidationError({"resolution": _("Choose a resolution.")})
    updated = DuplicateFlag.objects.filter(
        pk=flag.pk, resolution=DuplicateFlag.Resolution.OPEN
    ).update(resolution=resolution, resolved_at=timezone.now(), resolved_by=actor)
    if not updated:
        raise ValidationError(_("This possible duplicate has already been resolved."))
    flag.refresh_from_db()
    if resolution == DuplicateFlag.Resolution.MERGED:
        newer = max(flag.child, flag.other, key=lambda c: c.pk)
        if newer.exited_on is None:
            child_exit(actor=actor, child=newer, reason=ExitReason.DUPLICATE)
    audit(actor=actor, action="duplicate_resolve", obj=flag.child, note=resolution)
    return flag
