"""A child's parents and entrusted carer: saved with the child's record, and a parent's
return home."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.core.audit import audit
from care365.core.validators import validate_phone
from care365.registry.hooks import child_changed, children_changed_now
from care365.registry.models import (
    Child,
    ChildStatus,
    Guardian,
    Parent,
    ParentSituation,
    StatusEndReason,
    StatusKind,
)
from care365.registry.services.common import BLANK_NAME, _name
from care365.registry.services.statuses import _open_statuses_sync_child

PARENT_FIELDS = ("name", "situation", "work_place", "away_since", "unable_reason", "phone")


GUARDIAN_FIELDS = (
    "name",
    "relationship",
    "phone",
    "suitability_checked_on",
    "parents_notified_village_on",
)


def _blank_for(model: type[Parent] | type[Guardian], name: str, value: Any) -> Any:
    """None for a field left empty: "" for text fields, None for the others (dates)."""
    if value is not None:
        return value
    return None if model._meta.get_field(name).null else ""


def _phone_errors(phone: str) -> dict[str, list[str]]:
    """A parent's or the entrusted carer's phone as entered: a mainland mobile number or a
    landline with its area code (core.validators.validate_phone), else its error."""
    try:
        validate_phone(phone)
    except ValidationError as exc:
        return {"phone": exc.messages}
    return {}


def _parent_save(child: Child, role: str, values: Mapping[str, Any]) -> Parent:
    parent = Parent.objects.filter(child=child, role=role).first() or Parent(child=child, role=role)
    for name in PARENT_FIELDS:
        if name in values:
            setattr(parent, name, _blank_for(Parent, name, values[name]))
    parent.name = _name(parent.name, f"{role}_name", required=False)
    if parent.situation != ParentSituation.AWAY_FOR_WORK:
        parent.work_place, parent.away_since = "", None
    errors = _phone_errors(parent.phone)
    try:
        parent.full_clean(exclude=["child"])
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if errors:
        raise ValidationError({f"{role}_{k}": v for k, v in errors.items()})
    parent.save()
    return parent


def _guardian_save(child: Child, values: Mapping[str, Any]) -> Guardian:
    guardian = Guardian.objects.filter(child=child).first() or Guardian(child=child)
    for name in GUARDIAN_FIELDS:
        if name in values:
            setattr(guardian, name, _blank_for(Guardian, name, values[name]))
    guardian.name = _name(guardian.name, "guardian_name", required=False)
    errors = _phone_errors(guardian.phone)
    try:
        guardian.full_clean(exclude=["child"])
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
        if not guardian.name:  # required: the same message as for the child's own name
            errors["name"] = [str(BLANK_NAME)]
    if errors:
        raise ValidationError({f"guardian_{k}": v for k, v in errors.items()})
    guardian.save()
    return guardian


def _still_left_behind(parents: list[Parent]) -> bool:
    """Both parents away, or one away and the other unable to guard (DOMAIN.md)."""
    situations = {p.role: p.situation for p in parents}
    away = [r for r, s in situations.items() if s == ParentSituation.AWAY_FOR_WORK]
    unable = {
        ParentSituation.UNABLE_TO_GUARD,
        ParentSituation.DEAD,
        ParentSituation.MISSING,
        ParentSituation.IMPRISONED,
    }
    if len(away) == 2:
        return True
    return len(away) == 1 and any(s in unable for r, s in situations.items() if r not in away)


@transaction.atomic
def parent_return(
    *, actor: AbstractBaseUser, child: Child, role: str, on: date | None = None
) -> Child:
    """A parent has come home: record it and end the left-behind status if it no longer holds."""
    on = on or timezone.localdate()
    parent = Parent.objects.select_for_update().filter(child=child, role=role).first()
    if parent is None or parent.situation != ParentSituation.AWAY_FOR_WORK:
        raise ValidationError({"role": _("This parent is not recorded as away for work.")})
    parent.situation, parent.work_place, parent.away_since = ParentSituation.AT_HOME, "", None
    parent.save()
    if not _still_left_behind(list(child.parents.all())):
        ChildStatus.objects.filter(
            child=child, kind=StatusKind.LEFT_BEHIND, ended_on__isnull=True
        ).update(ended_on=on, end_reason=StatusEndReason.PARENT_RETURNED)
        _open_statuses_sync_child(child)
    audit(actor=actor, action="parent_return", obj=child, changes=[role], note=role)
    children_changed_now([child.pk])  # the parents' contact may leave the plan
    child_changed(child.pk)
    return child
