"""Recording health education sessions (健康教育): the topic from the county's list, the
materials used, where and for which township, village or school, and who came: the children
present (the doctor's own paired children, or the children of a keeper's area) and a count of
others, who are not named."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.access import areas_for_user, county_of_user
from care365.accounts.models import REGISTRY_ROLES, Role, User
from care365.areas.models import Area
from care365.care.access import responsible_children
from care365.care.models import OTHER_ATTENDEES_MAX, HealthSession, HealthTopic
from care365.care.services.common import active_user
from care365.carers.models import Carer, CarerRole, Organisation
from care365.core.audit import audit
from care365.registry.models import Child

TITLE_MAX = 200
PLACE_MAX = 200
MATERIALS_MAX = 4000
NOTES_MAX = 4000


def _county_code(user: User, area: Area) -> str:
    county = county_of_user(user)
    return county.code[:6] if county is not None else area.code[:6]


@transaction.atomic
def health_session_record(
    *,
    actor: User,
    topic: str,
    held_on: date,
    area: Area,
    children: Iterable[Child] = (),
    child_ids: Iterable[int] = (),
    title: str = "",
    materials: str = "",
    school: Organisation | None = None,
    other_attendees: int = 0,
    place: str = "",
    notes: str = "",
    doctor: Carer | None = None,
    today: date | None = None,
) -> HealthSession:
    """Record a health education session: its topic, day, place, the township or village (and
    school) it was held for, and who came.

    A doctor records their own sessions, for a township or village of their county, with the
    children paired with them; a director, supervisor or county administrator records sessions
    in their area (naming the doctor who taught, if any) with the children of their area. A
    child the actor may not record (another's, one who left the registry, or none at all) is
    refused with one message that does not say which, nor whether the child exists. Errors are
    ValidationErrors keyed by field, all at once."""
    user = active_user(actor)
    today = today or timezone.localdate()
    wanted = {c.pk for c in children} | {int(i) for i in child_ids}
    errors: dict[str, Any] = {}
    if user.role == Role.DOCTOR:
        doctor = user.carer
        county_code = doctor.organisation.area.code[:6] if doctor is not None else ""
        if not county_code or not area.code.startswith(county_code):
            errors["area"] = _("Choose a township or village of your county.")
    elif user.role in REGISTRY_ROLES:
        if not areas_for_user(user).filter(pk=area.pk).exists():
            errors["area"] = _("Choose a township or village of your area.")
        if doctor is not None and doctor.role != CarerRole.DOCTOR:
            errors["doctor"] = _("Choose a doctor.")
    else:
        raise PermissionDenied
    if area.level in (Area.Level.COUNTY, *Area.ABOVE_COUNTY):
        errors.setdefault("area", _("Choose a township or village."))
    present = list(responsible_children(user).filter(pk__in=sorted(wanted)))
    if len(present) != len(wanted):
        errors["children"] = _("Some of these children are not yours to record.")
    if topic not in HealthTopic.values:
        errors["topic"] = _("Choose a topic from the list.")
    title = title.strip()
    if len(title) > TITLE_MAX:
        errors["title"] = _("Keep this under %(n)d characters.") % {"n": TITLE_MAX}
    materials = materials.strip()
    if len(materials) > MATERIALS_MAX:
        errors["materials"] = _("Keep this under %(n)d characters.") % {"n": MATERIALS_MAX}
    if held_on > today:
        errors["held_on"] = _("This day is in the future.")
    place = place.strip()
    if len(place) > PLACE_MAX:
        errors["place"] = _("Keep this under %(n)d characters.") % {"n": PLACE_MAX}
    notes = notes.strip()
    if len(notes) > NOTES_MAX:
        errors["notes"] = _("Keep this under %(n)d characters.") % {"n": NOTES_MAX}
    if (
        isinstance(other_attendees, bool)
        or not isinstance(other_attendees, int)
        or not 0 <= other_attendees <= OTHER_ATTENDEES_MAX
    ):
        errors["other_attendees"] = _("Give a whole number from 0 to %(max)d.") % {
            "max": OTHER_ATTENDEES_MAX
        }
    if school is not None and (
        school.kind != Organisation.Kind.SCHOOL
        or not school.area.code.startswith(_county_code(user, area))
    ):
        errors["school"] = _("Choose a school of your county.")
    if errors:
        raise ValidationError(errors)
    session = HealthSession.objects.create(
        topic=topic,
        title=title,
        materials=materials,
        held_on=held_on,
        place=place,
        area=area,
        school=school,
        other_attendees=other_attendees,
        doctor=doctor,
        recorded_by=user,
        notes=notes,
    )
    session.children.set(present)
    filled = ["topic", "held_on", "area"] + [
        name
        for name, value in (
            ("title", title),
            ("materials", materials),
            ("place", place),
            ("school", school),
            ("children", present),
            ("other_attendees", other_attendees),
            ("doctor", doctor),
            ("notes", notes),
        )
        if value
    ]
    audit(actor=user, action="health_session_record", obj=session, changes=filled)
    return session
