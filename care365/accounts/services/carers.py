"""The county's carers and their organisations, as its administrator keeps them: add and edit a
carer (organisation, phone, place, capacity, service area, skills, languages), record the
vetting (background check and training), add and edit an organisation and its duty phone.

These writes live here, above the carers app, because they ask who may make them (the county
administrator of the carer's county; a supervisor or a director, for a volunteer of their own
area), which only accounts knows. Deactivating a carer ends their pairings, so it is pairing's
(`care365.pairing.services.carer_deactivate`). Each service is one transaction with its audit
row; errors are keyed by field for the pages and the API."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.access import (
    carer_areas_for_user,
    county_for_admin,
    in_county,
    may_add_carer,
)
from care365.accounts.models import User
from care365.areas.models import Area
from care365.carers.models import (
    BackgroundCheck,
    Carer,
    CarerRole,
    Organisation,
    ServiceKind,
    Skill,
)
from care365.core.audit import audit
from care365.core.validators import validate_phone
from care365.registry.models import Language

CARER_FIELDS = (
    "name",
    "sex",
    "phone",
    "organisation",
    "latitude",
    "longitude",
    "capacity",
    "skills",
    "languages",
)
VETTING_FIELDS = ("background_check", "background_checked_on", "trained_on")
ORGANISATION_FIELDS = (
    "kind",
    "name",
    "area",
    "phone",
    "contact_name",
    "contact_phone",
    "contact_email",
    "services",
)


def _carer_county(carer: Carer) -> Area | None:
    area: Area | None = carer.organisation.area
    while area is not None and area.level != Area.Level.COUNTY:
        area = area.parent
    return area


def _administers_carer(actor: User, carer: Carer) -> Area:
    """The actor's county, if the carer works in it; PermissionDenied otherwise."""
    county = county_for_admin(actor)
    if county is None or not in_county(county, carer.organisation.area):
        raise PermissionDenied
    return county


def _phone_error(errors: dict[str, list[str]], field: str, value: str) -> None:
    try:
        validate_phone(value)
    except ValidationError as exc:
        errors[field] = exc.messages


def _codes(value: Any, allowed: Iterable[str]) -> list[str] | None:
    """A list of known codes without repeats, or None if anything in it is unknown."""
    if not isinstance(value, list | tuple):
        return None
    known = set(allowed)
    codes = [str(v) for v in value]
    if any(code not in known for code in codes):
        return None
    return list(dict.fromkeys(codes))


def _apply(
    actor: User, carer: Carer, values: Mapping[str, Any], *, allowed_areas: list[Area] | None
) -> tuple[list[str], list[Area] | None]:
    """Apply carer fields to `carer` (unsaved): the changed names and the new service areas
    (None if unchanged). Errors by field."""
    errors: dict[str, list[str]] = {}
    changed: list[str] = []
    for name in CARER_FIELDS:
        if name not in values:
            continue
        if name == "organisation":
            new = values[name].pk if values[name] is not None else None
            if carer.organisation_id != new or new is None:
                changed.append(name)
                if values[name] is not None:
                    carer.organisation = values[name]
        elif getattr(carer, name) != values[name]:
            changed.append(name)
            setattr(carer, name, values[name])
    carer.name = " ".join(str(carer.name or "").split())
    carer.phone = str(carer.phone or "").strip()
    _phone_error(errors, "phone", carer.phone)
    organisation = values.get("organisation") if "organisation" in values else None
    if "organisation" in values:
        if organisation is None:
            errors["organisation"] = [_("Choose the carer's organisation.")]
        elif not _organisation_in_reach(actor, organisation):
            errors["organisation"] = [_("Choose an organisation of your county.")]
        elif Organisation.ROLE.get(Organisation.Kind(organisation.kind)) != carer.role:
            errors["organisation"] = [
                _("A %(role)s works for a %(kinds)s.")
                % {"role": CarerRole(carer.role).label, "kinds": _kinds_for(carer.role)}
            ]
    if "skills" in values:
        skills = _codes(values["skills"], Skill.values)
        if skills is None:
            errors["skills"] = [_("Choose skills from the list.")]
        else:
            carer.skills = skills
    if "languages" in values:
        languages = _codes(values["languages"], Language.values)
        if languages is None:
            errors["languages"] = [_("Choose languages from the list.")]
        else:
            carer.languages = languages
    areas: list[Area] | None = None
    if "service_areas" in values:
        areas = list(values["service_areas"] or [])
        reach = {a.pk for a in (allowed_areas or [])}
        if any(a.pk not in reach or a.level == Area.Level.COUNTY for a in areas):
            errors["service_areas"] = [_("Choose townships or villages of your area.")]
        changed.append("service_areas")
    if (carer.latitude is None or carer.longitude is None) and carer.organisation_id:
        # Where the carer works when no place is given: their organisation's area.
        place = carer.organisation.area
        carer.latitude = carer.latitude if carer.latitude is not None else place.latitude
        carer.longitude = carer.longitude if carer.longitude is not None else place.longitude
    try:
        carer.full_clean(exclude=["organisation", *errors])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)
    return changed, areas


def _kinds_for(role: str) -> str:
    return _(" or ").join(
        str(Organisation.Kind(k).label) for k, r in Organisation.ROLE.items() if r == role
    )


def _organisation_in_reach(actor: User, organisation: Organisation) -> bool:
    county = county_for_admin(actor)
    if county is not None:
        return in_county(county, organisation.area)
    area = actor.area
    return area is not None and in_county(_county_of(area), organisation.area)


def _county_of(area: Area) -> Area:
    while area.level != Area.Level.COUNTY and area.parent is not None:
        area = area.parent
    return area


@transaction.atomic
def carer_create(*, actor: User, role: str, values: Mapping[str, Any]) -> Carer:
    """Add a police officer, a doctor or a volunteer. County administrators add any carer of
    their county, vetting included. A supervisor or a director may propose a volunteer for their
    own township or village (`may_propose_volunteers`): the volunteer is recorded unvetted and
    is not paired until a county administrator records a passed background check and the
    training (`carer_vet`)."""
    admin = county_for_admin(actor) is not None
    if role not in CarerRole.values:
        raise ValidationError({"role": _("Choose a role.")})
    if not may_add_carer(actor, role):
        raise PermissionDenied
    carer = Carer(role=role)  # no place yet: `_apply` takes the organisation's if none is given
    given = {k: v for k, v in values.items() if k in (*CARER_FIELDS, "service_areas")}
    given.setdefault("organisation", None)
    changed, areas = _apply(actor, carer, given, allowed_areas=list(carer_areas_for_user(actor)))
    carer.save()
    if areas is not None:
        carer.service_areas.set(areas)
    audit(actor=actor, action="carer_create", obj=carer, changes=changed)
    if admin and any(values.get(name) for name in VETTING_FIELDS):
        carer_vet(actor=actor, carer=carer, **{n: values.get(n) for n in VETTING_FIELDS})
    return carer


@transaction.atomic
def carer_update(*, actor: User, carer: Carer, values: Mapping[str, Any]) -> Carer:
    """Change a carer of the actor's county (county administrators): any of CARER_FIELDS and
    `service_areas`; only the fields given. A carer's role stays what it is (their pairings are
    by role): a new role is a new carer. Capacity may be lowered below the children the carer
    has: the next pairing run moves the children beyond it."""
    _administers_carer(actor, carer)
    unknown = sorted(set(values) - {*CARER_FIELDS, "service_areas"})
    if unknown:
        raise ValidationError({name: _("This field does not exist.") for name in unknown})
    Carer.objects.select_for_update().filter(pk=carer.pk).first()
    changed, areas = _apply(actor, carer, values, allowed_areas=list(carer_areas_for_user(actor)))
    if changed:
        carer.save()
        if areas is not None:
            carer.service_areas.set(areas)
        audit(actor=actor, action="carer_update", obj=carer, changes=changed)
    return carer


@transaction.atomic
def carer_vet(
    *,
    actor: User,
    carer: Carer,
    background_check: str | None,
    background_checked_on: date | None,
    trained_on: date | None,
) -> Carer:
    """Record a carer's vetting: the background check's result and date, and the training date
    (county administrators). A volunteer is paired only with a passed check that is still valid
    (the county's pairing settings) and a training date. A result needs its date; no date lies
    in the future."""
    _administers_carer(actor, carer)
    errors: dict[str, list[str]] = {}
    check = background_check or ""
    if check not in BackgroundCheck.values:
        errors["background_check"] = [_("Choose a result from the list.")]
    today = timezone.localdate()
    if check in (BackgroundCheck.PASSED, BackgroundCheck.FAILED) and background_checked_on is None:
        errors["background_checked_on"] = [_("Give the date of the background check.")]
    for name, day in (("background_checked_on", background_checked_on), ("trained_on", trained_on)):
        if day is not None and day > today:
            errors[name] = [_("This date is in the future.")]
    if errors:
        raise ValidationError(errors)
    new = {
        "background_check": check,
        "background_checked_on": background_checked_on if check else None,
        "trained_on": trained_on,
    }
    changed = [name for name, value in new.items() if getattr(carer, name) != value]
    for name in changed:
        setattr(carer, name, new[name])
    if changed:
        carer.save(update_fields=changed)
        audit(actor=actor, action="carer_vet", obj=carer, changes=changed)
    return carer


def _differs(organisation: Organisation, name: str, value: Any) -> bool:
    if name == "area":
        return organisation.area_id != getattr(value, "pk", None)
    return bool(getattr(organisation, name) != value)


def _organisation_values(
    county: Area, organisation: Organisation, values: Mapping[str, Any]
) -> list[str]:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - set(ORGANISATION_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field does not exist.") for name in unknown})
    changed = [
        n for n in ORGANISATION_FIELDS if n in values and _differs(organisation, n, values[n])
    ]
    for name in changed:
        setattr(organisation, name, values[name])
    organisation.name = " ".join(str(organisation.name or "").split())
    organisation.phone = str(organisation.phone or "").strip()
    _phone_error(errors, "phone", organisation.phone)
    organisation.contact_name = " ".join(str(organisation.contact_name or "").split())
    organisation.contact_phone = str(organisation.contact_phone or "").strip()
    _phone_error(errors, "contact_phone", organisation.contact_phone)
    organisation.contact_email = str(organisation.contact_email or "").strip()
    if organisation.contact_email:
        try:
            validate_email(organisation.contact_email)
        except ValidationError:
            errors["contact_email"] = [_("Enter a valid email address.")]
    if "services" in values:
        offered = _codes(values["services"], ServiceKind.values)
        if offered is None:
            errors["services"] = [_("Choose services from the list.")]
        else:
            organisation.services = offered
    area = values.get("area", organisation.area if organisation.area_id else None)
    if area is None or not in_county(county, area):
        errors["area"] = [_("Choose an area of your county.")]
    if "kind" in changed and organisation.pk is not None:
        role = Organisation.ROLE.get(organisation.kind)  # type: ignore[call-overload]  # str key
        carers = organisation.carers.all()
        if (carers.exclude(role=role) if role else carers).exists():
            errors["kind"] = [_("Its carers are of another role: the kind cannot change.")]
    try:
        organisation.full_clean(exclude=["area", *errors])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)
    return changed


@transaction.atomic
def organisation_create(*, actor: User, values: Mapping[str, Any]) -> Organisation:
    """Add a police station, a health centre, a village clinic or a volunteer group of the
    actor's county (county administrators), with its duty phone."""
    county = county_for_admin(actor)
    if county is None:
        raise PermissionDenied
    organisation = Organisation()
    changed = _organisation_values(county, organisation, values)
    organisation.save()
    audit(actor=actor, action="organisation_create", obj=organisation, changes=changed)
    return organisation


@transaction.atomic
def organisation_update(
    *, actor: User, organisation: Organisation, values: Mapping[str, Any]
) -> Organisation:
    """Rename an organisation, move it to another area of the county, change its duty phone or
    (while none of its carers is of another role) its kind."""
    county = county_for_admin(actor)
    if county is None or not in_county(county, organisation.area):
        raise PermissionDenied
    changed = _organisation_values(county, organisation, values)
    if changed:
        organisation.save()
        audit(actor=actor, action="organisation_update", obj=organisation, changes=changed)
    return organisation
