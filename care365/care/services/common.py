"""What every daily-care service checks first."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from care365.accounts.models import User
from care365.care.access import account
from care365.carers.models import CarerRole
from care365.pairing.models import Pairing
from care365.registry.models import Child


class CareStateError(Exception):
    """The record is no longer in a state this step applies to (someone else moved it first).
    The API answers 409."""


def active_user(actor: User) -> User:
    user = account(actor)
    if user is None:
        raise PermissionDenied
    return user


def require_active_child(child: Child) -> None:
    if not child.is_active:
        raise ValidationError({"child": _("This child has left the registry.")})


def doctor_user_of(child: Child) -> User | None:
    """The account of the child's paired doctor, if the child has one and it is active."""
    carer_id = (
        Pairing.objects.filter(child=child, role=CarerRole.DOCTOR, until__isnull=True)
        .values_list("carer_id", flat=True)
        .first()
    )
    if carer_id is None:
        return None
    return User.objects.filter(carer_id=carer_id, is_active=True).first()
