"""Every read of daily care, for pages, the API, reports and the daily jobs; always from the
access layer (one module per concern, re-exported here):

- scope: who answers for which children, who may read what;
- plans: what is due for whom (`due_for_user`), the 365 figure per child and per area;
- records: contacts, examinations and growth, screenings, care tasks, the risk list;
- wishes: the public wish board, wishes and care events.
"""

from .plans import (
    AreaCoverage,
    DueItem,
    KindFigure,
    coverage_for_area,
    coverage_for_child,
    due_for_display,
    due_for_user,
    examinations_due,
    plan_status,
)
from .records import (
    GrowthPoint,
    care_tasks_for_user,
    contacts_for_child,
    contacts_logged_by,
    contacts_needing_follow_up,
    examinations_for_child,
    growth_points,
    health_sessions_for_user,
    risk_for_child,
    risk_list,
    screenings_for_child,
)
from .scope import (
    RESPONSIBLE,
    care_settings_get,
    is_paired,
    responsible_children,
    sees_health,
    visible_contact_kinds,
)
from .wishes import (
    WishCard,
    care_events_for_user,
    on_wish_board,
    wish_board,
    wishes_claimed_by,
    wishes_for_child,
    wishes_for_user,
)

__all__ = [
    "RESPONSIBLE",
    "AreaCoverage",
    "DueItem",
    "GrowthPoint",
    "KindFigure",
    "WishCard",
    "care_events_for_user",
    "care_settings_get",
    "care_tasks_for_user",
    "contacts_for_child",
    "contacts_logged_by",
    "contacts_needing_follow_up",
    "coverage_for_area",
    "coverage_for_child",
    "due_for_display",
    "due_for_user",
    "examinations_due",
    "examinations_for_child",
    "growth_points",
    "health_sessions_for_user",
    "is_paired",
    "on_wish_board",
    "plan_status",
    "responsible_children",
    "risk_for_child",
    "risk_list",
    "screenings_for_child",
    "sees_health",
    "visible_contact_kinds",
    "wish_board",
    "wishes_claimed_by",
    "wishes_for_child",
    "wishes_for_user",
]
