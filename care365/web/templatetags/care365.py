"""Template filters that turn stored codes into their label in the user's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import TextChoices
from django.utils.text import capfirst

from care365.accounts.models import Role
from care365.carers.models import BackgroundCheck, CarerRole, Organisation
from care365.registry.models import Ethnicity as EthnicityChoices
from care365.registry.models import (
    ExitReason,
    Grade,
    GuardianRelationship,
    Hukou,
    IncomeSource,
    Interest,
    Language,
    ParentRole,
    ParentSituation,
    Sex,
    StatusEndReason,
    StatusKind,
)

register = template.Library()

CHOICES: dict[str, type[TextChoices]] = {
    "sex": Sex,
    "ethnicity": EthnicityChoices,
    "hukou": Hukou,
    "grade": Grade,
    "interest": Interest,
    "language": Language,
    "income_source": IncomeSource,
    "status": StatusKind,
    "status_end": StatusEndReason,
    "exit_reason": ExitReason,
    "parent_role": ParentRole,
    "situation": ParentSituation,
    "relationship": GuardianRelationship,
    "carer_role": CarerRole,
    "role": Role,
    "background_check": BackgroundCheck,
    "organisation_kind": Organisation.Kind,
}


@register.filter
def label(value: Any, kind: str) -> Any:
    """`{{ code|label:"sex" }}`: the choice's label, or the code itself if it is unknown."""
    if value in (None, ""):
        return ""
    choices = CHOICES[kind]
    try:
        return capfirst(choices(value).label)
    except ValueError:
        return value


@register.filter
def labels(values: Any, kind: str) -> list[Any]:
    """`{{ codes|labels:"interest"|join:"、" }}` for a list of codes."""
    return [label(v, kind) for v in values or []]
