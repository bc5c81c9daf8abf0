"""Template filters that turn stored codes into their label in the user's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import TextChoices
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext

from care365.accounts.models import Role
from care365.carers.models import BackgroundCheck, CarerRole, Organisation, ServiceKind, Skill
from care365.pairing.models import EndReason, Outcome, UnpairedReason
from care365.protection.channels import webhook_error_text
from care365.protection.models import AlertEvent, Channel, Notification, Resolution
from care365.registry.models import (
    ConsentPurpose,
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
from care365.registry.models import Ethnicity as EthnicityChoices

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
    "skill": Skill,
    "role": Role,
    "background_check": BackgroundCheck,
    "organisation_kind": Organisation.Kind,
    "service_kind": ServiceKind,
    "unpaired_reason": UnpairedReason,
    "outcome": Outcome,
    "pairing_end": EndReason,
    "consent_purpose": ConsentPurpose,
    "alert_event": AlertEvent.Kind,
    "resolution": Resolution,
    "channel": Channel,
    "notification_state": Notification.State,
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


@register.filter
def reason(code: str) -> str:
    """`{{ code|reason }}`: why the solver proposed a pair, in the reader's language.

    The solver's reasons (docs/pairing.md): "2.4 km", "locked", "continuity", "service_area",
    "interest:<interest>", "language:<language>", "woman_volunteer"."""
    if code.endswith(" km"):
        return gettext("%(km)s km") % {"km": code[:-3]}
    kind, _sep, value = code.partition(":")
    if kind == "interest":
        return gettext("shares an interest: %(what)s") % {"what": label(value, "interest")}
    if kind == "language":
        return gettext("speaks %(language)s") % {"language": label(value, "language")}
    fixed = {
        "locked": gettext("locked by the county"),
        "continuity": gettext("already this child's carer"),
        "service_area": gettext("serves the child's village"),
        "woman_volunteer": gettext("a woman volunteer for a girl over ten"),
        "manual": gettext("assigned by hand by the county"),
    }
    return fixed.get(code, code)


@register.filter
def unpaired_reason(code: str) -> Any:
    return label(code, "unpaired_reason")


@register.filter
def join_reasons(codes: list[str]) -> str:
    """A pair's reasons, each in the reader's language, separated by the language's comma."""
    return pgettext("list separator", ", ").join(reason(code) for code in codes or [])


@register.filter
def duration(seconds: float | None) -> str:
    """`{{ seconds|duration }}`: "45 s", "3 min", "2 h 5 min"; "—" when there is none."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return gettext("%(s)d s") % {"s": total}
    minutes = round(total / 60)
    if minutes < 60:
        return gettext("%(m)d min") % {"m": minutes}
    return gettext("%(h)d h %(m)d min") % {"h": minutes // 60, "m": minutes % 60}


@register.filter
def child_change(action: str) -> str:
    """`{{ event.action|child_change }}`: a change to a child's record (the access log's
    "Changes" tab), in the reader's language; an action without a label shows its code."""
    labels = {
        "child_register": gettext("Registered"),
        "child_update": gettext("Record edited"),
        "child_exit": gettext("Exited from the registry"),
        "child_anonymise": gettext("Anonymised"),
        "status_add": gettext("Category added"),
        "status_end": gettext("Category ended"),
        "parent_return": gettext("Parent's return recorded"),
        "duplicate_resolve": gettext("Possible duplicate resolved"),
        "consent_record": gettext("Consent recorded"),
        "consent_withdraw": gettext("Consent withdrawn"),
        "transfer_request_open": gettext("Transfer requested"),
        "transfer_request_decide": gettext("Transfer request decided"),
    }
    return labels.get(action, action)


@register.filter
def webhook_error(error: str) -> str:
    """A webhook delivery's last error in the user's language."""
    return webhook_error_text(error) if error else ""
