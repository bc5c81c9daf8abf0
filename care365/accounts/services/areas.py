"""The county's townships and villages, as its administrator keeps them: add one, rename it or
move its coordinates, and merge two villages (撤并) into one.

Codes are GB/T 2260 statistical codes (6 digits for a county, 9 for a township, 12 for a
village): a new area's code starts with its parent's and never changes afterwards. A merge moves
everything that names the absorbed village to the one that stays — children, carers' service
areas, organisations, users, and any other record that points at the village — then deletes the
absorbed one; the audit row keeps both codes and what moved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ForeignObjectRel, ManyToManyRel
from django.utils.translation import gettext as _

from care365.accounts.access import county_for_admin, in_county
from care365.accounts.models import User
from care365.areas.models import Area
from care365.core.audit import audit

AREA_FIELDS = ("name", "latitude", "longitude")


def _county(actor: User) -> Area:
    county = county_for_admin(actor)
    if county is None:
        raise PermissionDenied
    return county


def _check(area: Area, errors: dict[str, list[str]]) -> None:
    area.name = " ".join(str(area.name or "").split())
    if not area.name:
        errors.setdefault("name", [_("Type the area's name.")])
    try:
        area.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def area_create(
    *, actor: User, level: str, parent: Area | None, code: str, values: Mapping[str, Any]
) -> Area:
    """Add a township (under the county) or a village (under one of its townships), with its
    statistical code, name and coordinates (county administrators of that county)."""
    county = _county(actor)
    errors: dict[str, list[str]] = {}
    if level not in (Area.Level.TOWNSHIP, Area.Level.VILLAGE):
        raise ValidationError({"level": _("Add a township or a village.")})
    if level == Area.Level.TOWNSHIP:
        parent = county
    if parent is None or not in_county(county, parent):
        errors["parent"] = [_("Choose a township of your county.")]
    code = "".join(str(code).split())
    if Area.objects.filter(code=code).exists():
        errors["code"] = [_("An area with this code exists already.")]
    area = Area(level=level, parent=parent, code=code)
    for name in AREA_FIELDS:
        if name in values:
            setattr(area, name, values[name])
    if parent is not None:
        area.latitude = parent.latitude if area.latitude is None else area.latitude
        area.longitude = parent.longitude if area.longitude is None else area.longitude
    _check(area, errors)
    area.save()
    audit(actor=actor, action="area_create", obj=area, note=code)
    return area


@transaction.atomic
def area_update(*, actor: User, area: Area, values: Mapping[str, Any]) -> Area:
    """Rename a township or a village, or move its coordinates (which pairing measures
    distances from). Its code stays."""
    county = _county(actor)
    if area.level == Area.Level.COUNTY or not in_county(county, area):
        raise PermissionDenied
    unknown = sorted(set(values) - set(AREA_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field does not exist.") for name in unknown})
    changed = [
        name for name in AREA_FIELDS if name in values and getattr(area, name) != values[name]
    ]
    for name in changed:
        setattr(area, name, values[name])
    _check(area, {})
    if changed:
        area.save(update_fields=changed)
        audit(actor=actor, action="area_update", obj=area, changes=changed)
    return area


def _references(absorb: Area, keep: Area) -> dict[str, int]:
    """Point every record naming `absorb` at `keep`: found through the relations to Area that
    Django knows of, whichever app declares them. A many-to-many row that `keep` already has
    (a carer serving both villages) is dropped rather than repeated. Returns the rows moved per
    relation ("carers.carer.service_areas": 3)."""
    moved: dict[str, int] = {}
    relations = [
        f
        for f in Area._meta.get_fields(include_hidden=True)
        if isinstance(f, ForeignObjectRel)
        # A many-to-many table's own key to Area is moved with its many-to-many relation.
        and not f.related_model._meta.auto_created
    ]
    for relation in relations:
        field: Any = relation.field
        model = relation.related_model
        if isinstance(relation, ManyToManyRel):
            through: Any = relation.through
            own = field.m2m_reverse_field_name()  # the through table's key to Area
            other = field.m2m_field_name()
            rows = through.objects.filter(**{own: absorb})
            held = through.objects.filter(**{own: keep}).values(other)
            rows.filter(**{f"{other}__in": held}).delete()
            count = rows.update(**{own: keep})
        else:
            count = model._default_manager.filter(**{field.name: absorb}).update(
                **{field.name: keep}
            )
        if count:
            moved[f"{model._meta.label_lower}.{field.name}"] = count
    return moved


@transaction.atomic
def area_merge(*, actor: User, keep: Area, absorb: Area) -> dict[str, int]:
    """Merge village `absorb` into village `keep` (both of the actor's county): its children,
    the carers serving it, its organisations and users, and every other record naming it move
    to `keep`; then `absorb` is deleted. One transaction: a record that cannot move (a rule
    that allows one per village) refuses the whole merge. Returns what moved, by relation."""
    county = _county(actor)
    errors: dict[str, list[str]] = {}
    for name, area in (("keep", keep), ("absorb", absorb)):
        if area.level != Area.Level.VILLAGE or not in_county(county, area):
            errors[name] = [_("Choose a village of your county.")]
    if not errors and keep.pk == absorb.pk:
        errors["absorb"] = [_("Choose two different villages.")]
    if errors:
        raise ValidationError(errors)
    Area.objects.select_for_update().filter(pk__in=[keep.pk, absorb.pk]).order_by("pk").count()
    code, name = absorb.code, absorb.name
    try:
        with transaction.atomic():
            moved = _references(absorb, keep)
            absorb.delete()
    except IntegrityError as exc:
        raise ValidationError(
            _("These villages cannot be merged: a record allows only one per village."),
            code="conflict",
        ) from exc
    summary = ", ".join(f"{k}={v}" for k, v in sorted(moved.items()))
    audit(
        actor=actor,
        action="area_merge",
        obj=keep,
        changes=sorted(moved),
        note=f"{code} {name} -> {keep.code}; {summary}",
    )
    return moved
