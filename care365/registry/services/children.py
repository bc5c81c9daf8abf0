"""A child's record: registration, changes and exit from the registry. Registration and
changes flag possible duplicates (duplicates.py resolves them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.areas import regions
from care365.areas.models import Area
from care365.core import crypto
from care365.core.audit import audit
from care365.registry import idnumber, names
from care365.registry.hooks import (
    child_changed,
    child_exited,
    child_moved,
    children_changed_now,
)
from care365.registry.models import (
    Child,
    ChildStatus,
    DuplicateFlag,
    ExitReason,
    StatusEndReason,
    StatusKind,
)
from care365.registry.services.common import ID_ERRORS, TAKEN, IdNumberTaken, _name
from care365.registry.services.parents import _guardian_save, _parent_save
from care365.registry.services.statuses import _open_statuses_sync_child

# Fields a caller may set on a child through child_register / child_update.
CHILD_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "id_number",
    "hukou",
    "village",
    "address",
    "school",
    "grade",
    "boarding",
    "health_notes",
    "disability_notes",
    "interests",
    "languages",
    "income_source",
)


@dataclass
class ChildInput:
    """What a registration carries beyond the child's own fields."""

    child: dict[str, Any]
    statuses: list[str] = field(default_factory=list)
    parents: dict[str, dict[str, Any]] = field(default_factory=dict)  # "father"/"mother" -> data
    guardian: dict[str, Any] | None = None


def _validate_id_number(data: Mapping[str, Any], *, exclude_pk: int | None = None) -> str | None:
    """Normalised ID number, or None if blank; raises ValidationError on any problem."""
    raw = (data.get("id_number") or "").strip()
    if not raw:
        return None
    try:
        parsed = idnumber.parse(raw, known_region=regions.is_known)
    except idnumber.InvalidIdNumber as exc:
        raise ValidationError({"id_number": ID_ERRORS[exc.reason]}, code=exc.reason) from exc
    errors: dict[str, str] = {}
    if data.get("birth_date") and parsed.birth_date != data["birth_date"]:
        errors["birth_date"] = _("The birth date does not match the ID number.")
    if data.get("sex") and parsed.sex != data["sex"]:
        errors["sex"] = _("The sex does not match the ID number.")
    if errors:
        raise ValidationError(errors)
    taken = Child.objects.filter(id_number_hash=crypto.lookup_hash(parsed.number))
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    holder = taken.values_list("pk", flat=True).first()
    if holder is not None:
        raise IdNumberTaken(holder)
    return parsed.number


def _validate_child(child: Child) -> None:
    errors: dict[str, list[str]] = {}
    try:
        child.full_clean(exclude=["id_number_hash"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if child.village_id and child.village.level != Area.Level.VILLAGE:
        errors.setdefault("village", []).append(_("Choose a village."))
    today = timezone.localdate()
    if child.birth_date and child.birth_date > today:
        errors.setdefault("birth_date", []).append(_("The birth date is in the future."))
    elif child.birth_date and child.age_on(today) >= 18:
        errors.setdefault("birth_date", []).append(_("The registry is for children under 18."))
    if errors:
        raise ValidationError(errors)


def _flag_duplicates(child: Child) -> list[DuplicateFlag]:
    """Flag other active children with the same name, birth date and village."""
    others = Child.objects.filter(
        name=child.name,
        birth_date=child.birth_date,
        village_id=child.village_id,
        exited_on__isnull=True,
    ).exclude(pk=child.pk)
    already = set(DuplicateFlag.objects.filter(child=child).values_list("other_id", flat=True))
    new = [DuplicateFlag(child=child, other=o) for o in others if o.pk not in already]
    return DuplicateFlag.objects.bulk_create(new)


def _save_unique(child: Child) -> None:
    """Save, turning a race on the ID number's unique index into the same clear error."""
    try:
        with transaction.atomic():
            child.save()
    except IntegrityError as exc:
        if "child_unique_id_number" in str(exc) or "id_number_hash" in str(exc):
            holder = (
                Child.objects.filter(id_number_hash=child.id_number_hash)
                .exclude(pk=child.pk)
                .values_list("pk", flat=True)
                .first()
            )
            if holder is not None:
                raise IdNumberTaken(holder) from exc
            raise ValidationError({"id_number": [TAKEN]}, code="duplicate") from exc
        raise


@transaction.atomic
def child_register(*, actor: AbstractBaseUser, data: ChildInput) -> Child:
    """Register a new child with their statuses, parents and entrusted carer.

    The ID number must be valid and agree with the birth date and sex; a second record with the
    same number is refused. A record with the same name, birth date and village is accepted but
    flagged for the children's director to confirm or merge. Names are normalised
    (registry.names) before they are saved and compared.

    An ID number already on record raises IdNumberTaken (a ValidationError) once this
    transaction is rolled back.
    """
    values = {k: v for k, v in data.child.items() if k in CHILD_FIELDS}
    values["name"] = _name(values.get("name"), "name", required=True)
    number = _validate_id_number(values)
    child = Child(**values)
    child.name_sort = names.sort_key(child.name)
    child.id_number = number or ""
    child.id_number_hash = crypto.lookup_hash(number) if number else None
    _validate_child(child)
    _save_unique(child)
    today = timezone.localdate()
    for kind in dict.fromkeys(data.statuses):
        ChildStatus.objects.create(child=child, kind=StatusKind(kind), started_on=today)
    _open_statuses_sync_child(child)
    for role, parent_data in data.parents.items():
        _parent_save(child, role, parent_data)
    if data.guardian:
        _guardian_save(child, data.guardian)
    _flag_duplicates(child)
    audit(actor=actor, action="child_register", obj=child, changes=values.keys())
    children_changed_now([child.pk])
    return child


@transaction.atomic
def child_update(
    *,
    actor: AbstractBaseUser,
    child: Child,
    values: Mapping[str, Any],
    parents: Mapping[str, Mapping[str, Any]] | None = None,
    guardian: Mapping[str, Any] | None = None,
) -> Child:
    """Change a child's fields (and optionally parents and entrusted carer); audited by name.

    Moving a child is a change of `village`. Names are normalised as at registration; an ID
    number already on record raises IdNumberTaken once this transaction is rolled back."""
    if "name" in values:
        values = {**values, "name": _name(values["name"], "name", required=True)}
    child = Child.objects.select_for_update().get(pk=child.pk)
    if child.exited_on is not None:
        raise ValidationError(
            _("This child has left the registry; the record can no longer be changed."),
            code="exited",
        )
    changed = []
    for name, value in values.items():
        if name not in CHILD_FIELDS:
            continue
        if getattr(child, name if name != "village" else "village") != value:
            changed.append(name)
            setattr(child, name, value)
    if "name" in changed:
        child.name_sort = names.sort_key(child.name)
    if {"id_number", "birth_date", "sex"} & set(changed):
        check = {"id_number": child.id_number, "birth_date": child.birth_date, "sex": child.sex}
        number = _validate_id_number(check, exclude_pk=child.pk)
        child.id_number = number or ""
        child.id_number_hash = crypto.lookup_hash(number) if number else None
    _validate_child(child)
    _save_unique(child)
    for role, parent_values in (parents or {}).items():
        _parent_save(child, role, parent_values)
        changed.append(f"{role}")
    if guardian is not None:
        _guardian_save(child, guardian)
        changed.append("guardian")
    if {"name", "birth_date", "village"} & set(changed):
        _flag_duplicates(child)
    if "village" in changed:
        child_moved(child.pk, child.village_id)
    audit(actor=actor, action="child_update", obj=child, changes=changed)
    if changed:
        children_changed_now([child.pk])  # a move, a birth date, a parent's situation
        child_changed(child.pk)
    return child


@transaction.atomic
def child_exit(
    *, actor: AbstractBaseUser, child: Child, reason: str, on: date | None = None
) -> Child:
    """Take a child out of the registry: open statuses end, the record stays for history."""
    on = on or timezone.localdate()
    if reason not in ExitReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    child = Child.objects.select_for_update().get(pk=child.pk)
    if child.exited_on is not None:
        raise ValidationError(_("This child has already left the registry."), code="exited")
    if on < child.birth_date or on > timezone.localdate():
        raise ValidationError({"on": _("The exit date must be between birth and today.")})
    child.exited_on, child.exit_reason = on, reason
    child.save(update_fields=["exited_on", "exit_reason", "updated_at"])
    ChildStatus.objects.filter(child=child, ended_on__isnull=True).update(
        ended_on=on, end_reason=StatusEndReason.CHILD_EXITED
    )
    _open_statuses_sync_child(child)
    child_exited(child.pk)  # the risk score goes with the exit
    audit(actor=actor, action="child_exit", obj=child, changes=["exited_on"], note=reason)
    children_changed_now([child.pk])  # off the due lists
    child_changed(child.pk)
    return child
