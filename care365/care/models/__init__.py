"""Daily care's models, one module per aggregate: the county's plan settings (settings.py),
contacts (contacts.py), examinations and health sessions (health.py), screenings, care tasks and
the risk score (wellbeing.py), each child's next-due dates (due.py), wishes and events
(wishes.py) with the gifts of Children's Day and festivals, health education's topics and
the volunteers' study help and interests (learning.py)."""

from care365.care.models.contacts import (
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
from care365.care.models.due import PlanDue
from care365.care.models.health import (
    OTHER_ATTENDEES_MAX,
    POOR_VISION_BELOW,
    Examination,
    HealthSession,
    Position,
)
from care365.care.models.learning import (
    HealthTopic,
    InterestActivity,
    LearningGoal,
    LearningNote,
    Subject,
)
from care365.care.models.settings import CareSettings
from care365.care.models.wellbeing import CareTask, RiskScore, Screening
from care365.care.models.wishes import (
    GIFT_EVENT_KINDS,
    GIFT_REASON_MAX,
    GIFT_VALUE_MAX,
    GIFT_WHAT_MAX,
    CareEvent,
    Gift,
    Wish,
)

__all__ = [
    "CONTACT_PLAN_KINDS",
    "GIFT_EVENT_KINDS",
    "GIFT_REASON_MAX",
    "GIFT_VALUE_MAX",
    "GIFT_WHAT_MAX",
    "LOGGED_BY",
    "OTHER_ATTENDEES_MAX",
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
    "Gift",
    "HealthSession",
    "HealthTopic",
    "InterestActivity",
    "LearningGoal",
    "LearningNote",
    "Mood",
    "PlanDue",
    "PlanKind",
    "Position",
    "RiskScore",
    "Screening",
    "Subject",
    "WhichParent",
    "Wish",
]
