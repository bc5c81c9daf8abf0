"""Entering health examinations (scored by the WHO growth calculator as they are entered).
Health education sessions are in `education.py`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.models import User
from care365.care import growth
from care365.care.access import _examines
from care365.care.models import Examination
from care365.care.services.common import (
    active_user,
    require_active_child,
    require_health_consent,
)
from care365.care.services.plans import plan_due_refresh
from care365.core.audit import audit
from care365.registry.hooks import child_changed
from care365.registry.models import Child

Number = Decimal | float | int | None
MEASURES = (
    "height_cm",
    "weight_kg",
    "vision_left",
    "vision_right",
    "decayed_teeth",
    "systolic",
    "diastolic",
)


def _decimal(value: Number) -> Any:
    """A measurement as typed: 33.1 stays 33.1 (a float's binary expansion would not). Anything
    else is left for the model's own checks to refuse."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def implausible_errors(result: growth.Assessment) -> dict[str, list[ValidationError]]:
    """The calculator's flags as errors beside the fields they come from (code `implausible`),
    each saying what to check; the z-score is the one the calculator gives."""
    errors: dict[str, list[ValidationError]] = {}

    def add(name: str, message: str, **params: Any) -> None:
        errors.setdefault(name, []).append(
            ValidationError(message, code="implausible", params=params or None)
        )

    for flag in result.flags:
        if flag is growth.Flag.IMPLAUSIBLE_ZHFA:
            add(
                "height_cm",
                _(
                    "This height is beyond what is plausible for the child's age and sex "
                    "(height-for-age z = %(z).1f). Measure again, or confirm that it is right."
                ),
                z=result.zhfa,
            )
        elif flag is growth.Flag.IMPLAUSIBLE_ZWFA:
            add(
                "weight_kg",
                _(
                    "This weight is beyond what is plausible for the child's age and sex "
                    "(weight-for-age z = %(z).1f). Weigh again, or confirm that it is right."
                ),
                z=result.zwfa,
            )
        elif flag is growth.Flag.IMPLAUSIBLE_ZBFA:
            add(
                "weight_kg",
                _(
                    "With this height, this weight gives a BMI beyond what is plausible for the "
                    "child's age and sex (BMI-for-age z = %(z).1f). Check both, or confirm that "
                    "they are right."
                ),
                z=result.zbfa,
            )
        elif flag is growth.Flag.POSITION_IMPLAUSIBLE:
            add(
                "position",
                _(
                    "A baby under 9 months is measured lying down, not standing. Check how the "
                    "child was measured, or confirm that it is right."
                ),
            )
    return errors


@transaction.atomic
def examination_record(
    *,
    actor: User,
    child: Child,
    examined_on: date,
    height_cm: Number = None,
    weight_kg: Number = None,
    position: str = "",
    vision_left: Number = None,
    vision_right: Number = None,
    decayed_teeth: int | None = None,
    teeth_notes: str = "",
    systolic: int | None = None,
    diastolic: int | None = None,
    notes: str = "",
    confirm_implausible: bool = False,
    today: date | None = None,
) -> Examination:
    """Enter a health examination by the child's paired doctor, with the guardian's consent to
    health examinations and screening.

    The z-scores, flags and classes the WHO growth calculator gives for the child's sex and age
    on the day are stored with it, so a later change to the calculator never rewrites what the
    doctor saw when entering it. A value the calculator flags as implausible (WHO's cut-offs:
    height-for-age |z| > 6, weight-for-age z < -6 or > 5, BMI-for-age |z| > 5; a standing
    height under 9 months) is refused beside its field, with the code `implausible`, unless
    `confirm_implausible` says the doctor checked it: a slip of the pen is caught before it is
    saved, and a real extreme value is kept (and flagged, for the risk list)."""
    user = active_user(actor)
    if not _examines(user, child):
        raise ValidationError({"child": _("Only the child's doctor can enter an examination.")})
    require_active_child(child)
    require_health_consent(child)
    today = today or timezone.localdate()
    errors: dict[str, Any] = {}
    if examined_on > today:
        errors["examined_on"] = _("This day is in the future.")
    elif examined_on < child.birth_date:
        errors["examined_on"] = _("This day is before the child was born.")
    values: dict[str, Any] = {
        "height_cm": _decimal(height_cm),
        "weight_kg": _decimal(weight_kg),
        "vision_left": _decimal(vision_left),
        "vision_right": _decimal(vision_right),
        "decayed_teeth": decayed_teeth,
        "systolic": systolic,
        "diastolic": diastolic,
    }
    if all(v is None for v in values.values()) and not teeth_notes.strip() and not notes.strip():
        errors[NON_FIELD_ERRORS] = _("Enter at least one measurement or a note.")
    if (systolic is None) != (diastolic is None):
        errors["diastolic"] = _("Give both blood pressure values, or neither.")
    elif systolic is not None and diastolic is not None and systolic <= diastolic:
        errors["diastolic"] = _("The diastolic value must be lower than the systolic.")
    exam = Examination(
        child=child,
        examined_on=examined_on,
        age_days=max((examined_on - child.birth_date).days, 0),
        doctor_id=user.carer_id,
        entered_by=user,
        position=position,
        teeth_notes=teeth_notes.strip(),
        notes=notes.strip(),
        **values,
    )
    try:
        exam.full_clean(exclude=["child", "doctor", "entered_by"], validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)
    try:
        result = growth.assess(
            sex=child.sex,
            age_days=exam.age_days,
            height_cm=None if exam.height_cm is None else float(exam.height_cm),
            weight_kg=None if exam.weight_kg is None else float(exam.weight_kg),
            position=exam.position or None,
        )
    except growth.GrowthInputError as exc:
        raise ValidationError({NON_FIELD_ERRORS: str(exc)}) from exc
    if result.flags and not confirm_implausible:
        raise ValidationError(implausible_errors(result))
    exam.zhfa, exam.zwfa, exam.zbfa, exam.bmi = result.zhfa, result.zwfa, result.zbfa, result.bmi
    exam.growth_reference = result.reference.value if result.reference else ""
    exam.growth_flags = [flag.value for flag in result.flags]
    exam.growth_classes = [cls.value for cls in result.classes]
    exam.save()
    audit(
        actor=user,
        action="examination_record",
        obj=exam,
        changes=[name for name in MEASURES if values[name] is not None],
    )
    plan_due_refresh([child.pk])  # the next examination is due on another day
    child_changed(child.pk, today)
    return exam
