"""What every daily-care service checks first."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from care365.accounts.models import User
from care365.care.access import account, health_consent_holds
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


def require_health_consent(child: Child) -> None:
    """Examinations and screenings both need the guardian's consent (`health_consent_holds`).
    The refusal says who records it, and where (the pages link there); its code is
    `no_consent`."""
    if health_consent_holds(child):
        return
    message = _(
        "The guardian has not consented to health examinations and screening. The child's "
        "children's director or township supervisor records the guardian's written consent on "
        "the child's page."
    )
    raise ValidationError({"child": ValidationError(message, code="no_consent")})


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
