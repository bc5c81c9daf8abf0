"""Template filters of the daily-care pages: stored codes (kinds of contact, activities, moods,
growth classes, risk reasons, screening bands) in the reader's language, and the figures'
formats (z-scores, shares)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django import template
from django.db.models import Choices
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from care365.care import screening
from care365.care.models import (
    Activity,
    CareEvent,
    CareTask,
    ContactChannel,
    ContactKind,
    Gift,
    HealthTopic,
    LearningGoal,
    Mood,
    PlanKind,
    Position,
    Subject,
    WhichParent,
    Wish,
)
from care365.registry.models import Interest

register = template.Library()

CHOICES: dict[str, type[Choices]] = {
    "contact_kind": ContactKind,
    "plan_kind": PlanKind,
    "activity": Activity,
    "contact_channel": ContactChannel,
    "which_parent": WhichParent,
    "mood": Mood,
    "position": Position,
    "task_kind": CareTask.Kind,
    "task_state": CareTask.State,
    "wish_state": Wish.State,
    "event_kind": CareEvent.Kind,
    "health_topic": HealthTopic,
    "subject": Subject,
    "goal_state": LearningGoal.State,
    "interest": Interest,
    "gift_state": Gift.State,
}

GROWTH: Mapping[str, Promise] = {
    "stunting": _("stunting"),
    "severe_stunting": _("severe stunting"),
    "underweight": _("underweight"),
    "severe_underweight": _("severe underweight"),
    "thinness": _("thinness"),
    "severe_thinness": _("severe thinness"),
    "overweight": _("overweight"),
    "obesity": _("obesity"),
    "implausible_zhfa": _("height-for-age implausible: measure again"),
    "implausible_zwfa": _("weight-for-age implausible: measure again"),
    "implausible_zbfa": _("BMI-for-age implausible: measure again"),
    "position_implausible": _("standing height under 9 months: measure lying down"),
}

SCREENING_FLAGS: Mapping[str, Promise] = {
    "self_harm": _("self-harm answer"),
    "past_suicide_attempt": _("past suicide attempt"),
}


@register.filter
def care_label(value: Any, kind: str) -> Any:
    """`{{ code|care_label:"contact_kind" }}`: the choice's label, or the code if unknown."""
    if value in (None, ""):
        return ""
    try:
        return capfirst(CHOICES[kind](value).label)
    except ValueError:
        return value


@register.filter
def care_labels(values: Any, kind: str) -> list[Any]:
    return [care_label(v, kind) for v in values or []]


@register.filter
def growth_label(code: str) -> str:
    """A growth class or flag (`stunting`, `implausible_zbfa`) in the reader's language."""
    text = GROWTH.get(code)
    return str(text) if text is not None else code


@register.filter
def screening_flag(code: str) -> str:
    text = SCREENING_FLAGS.get(code)
    return str(text) if text is not None else code


def _instrument(code: str) -> screening.Instrument | None:
    try:
        return screening.builtin(code)
    except screening.InstrumentError:
        return None


@register.filter
def in_language(text: screening.Text) -> str:
    """An instrument's text (`{"en", "zh"}`) in the reader's language."""
    return text.get(get_language() or "zh-hans")


@register.filter
def instrument_name(code: str) -> str:
    form = _instrument(code)
    return form.name.get(get_language() or "zh-hans") if form is not None else code


@register.filter
def screening_band(row: Any) -> str:
    """A screening's band as its instrument's file names it, in the reader's language."""
    form = _instrument(getattr(row, "instrument", ""))
    band = getattr(row, "band", "")
    if form is not None:
        for b in form.bands:
            if b.code == band:
                return b.label.get(get_language() or "zh-hans")
    return str(band)


@register.filter
def zscore(value: float | None) -> str:
    """`-1.23`, `+0.50`; a dash where the indicator does not apply."""
    if value is None:
        return "—"
    return f"{value:+.2f}".replace("-", "−")


@register.filter
def share(value: float | None) -> str:
    """A share as a whole percentage, rounded down (100% only when every day was covered)."""
    if value is None:
        return "—"
    return f"{math.floor(value * 100 + 1e-9)}%"


def _kinds(codes: Any) -> str:
    return pgettext("list separator", ", ").join(
        str(care_label(c, "plan_kind")) for c in codes or []
    )


def _moods(values: Any) -> str:
    return " → ".join(str(care_label(v, "mood")) for v in values or [])


@register.filter
def risk_reason(item: Mapping[str, Any]) -> str:
    """One reason of a risk score (care/risk.py) in the reader's language, with its facts."""
    reason = item.get("reason", "")
    params: Mapping[str, Any] = item.get("params") or {}
    days = int(params.get("days") or 0)
    if reason == "overdue_contact":
        return gettext("Overdue: %(kinds)s") % {"kinds": _kinds(params.get("kinds"))}
    if reason == "exam_overdue":
        return ngettext(
            "Examination overdue by %(days)d day",
            "Examination overdue by %(days)d days",
            days,
        ) % {"days": days}
    if reason == "no_parent_contact":
        return ngettext(
            "No contact from the parents for %(days)d day",
            "No contact from the parents for %(days)d days",
            days,
        ) % {"days": days}
    if reason == "falling_mood":
        return gettext("Mood falling: %(moods)s") % {"moods": _moods(params.get("moods"))}
    if reason == "low_mood":
        return gettext("Low mood at the last two contacts")
    if reason == "self_harm":
        return gettext("A self-harm answer in a screening in the last 90 days")
    if reason == "screening_positive":
        return gettext("A screening at or above its cut-off in the last 90 days")
    if reason in ("growth_severe", "growth_class"):
        classes = pgettext("list separator", ", ").join(
            growth_label(c) for c in params.get("classes") or []
        )
        return gettext("Growth: %(classes)s") % {"classes": classes}
    if reason == "growth_flag":
        return gettext("An implausible measurement: measure again")
    if reason == "alert_open":
        return gettext("An alert is open")
    if reason == "alert_recent":
        return gettext("An alert in the last 30 days")
    if reason == "alone_under_16":
        return gettext("Under 16 and living alone, without an entrusted carer")
    if reason == "out_of_school":
        return gettext("Out of school")
    if reason == "school_absences":
        n = int(params.get("absences") or 0)
        return ngettext(
            "%(n)d unexplained absence from school in 30 days",
            "%(n)d unexplained absences from school in 30 days",
            n,
        ) % {"n": n}
    return str(reason)
