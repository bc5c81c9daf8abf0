"""Daily care's models, one module per aggregate: the county's plan settings (settings.py),
contacts (contacts.py), examinations and health sessions (health.py), screenings, care tasks and
the risk score (wellbeing.py), wishes and events (wishes.py)."""

from .contacts import (
    CONTACT_PLAN_KINDS,
    LOGGED_BY,
    VISIBLE_TO,
    Activity,
    Contact,
    ContactChannel,
    ContactKind,
    Mood,
    PlanKind,
    WhichParent,
)
from .health import POOR_VISION_BELOW, Examination, HealthSession, Position
from .settings import CareSettings
from .wellbeing import CareTask, RiskScore, Screening
from .wishes import CareEvent, Wish

__all__ = [
    "CONTACT_PLAN_KINDS",
    "LOGGED_BY",
    "POOR_VISION_BELOW",
    "VISIBLE_TO",
    "Activity",
    "CareEvent",
    "CareSettings",
    "CareTask",
    "Contact",
    "ContactChannel",
    "ContactKind",
    "Examination",
    "HealthSession",
    "Mood",
    "PlanKind",
    "Position",
    "RiskScore",
    "Screening",
    "WhichParent",
    "Wish",
]
