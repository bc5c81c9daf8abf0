"""Every read of daily care, for pages, the API, reports and the daily jobs; always from the
access layer (one module per concern, re-exported here):

- scope: the county's care settings (who answers for which children, and who may read what,
  is in `care365.care.access`);
- plans: what is due for whom (`due_for_user`, and a page at a time `due_list_for_user`), the
  365 figure per child and per area;
- records: contacts, examinations and growth, screenings, care tasks, the risk list;
- wishes: the public wish board, wishes and care events;
- learning: health education sessions as each reader sees them and their figures, and a child's
  learning goals, progress notes and interest activities;
- gifts: an event's gifts, what is left to deliver, and a donor's totals.
"""

from care365.care.selectors.gifts import (
    DonorRow,
    DonorTotals,
    GiftFigures,
    donor_totals,
    donors_with_gifts,
    gifts_of_event,
    gifts_to_deliver,
)
from care365.care.selectors.learning import (
    ChildLearning,
    SessionFigure,
    SessionRow,
    TimelineEntry,
    child_learning,
    health_session_figures,
    health_sessions_list,
    interest_activities_for_child,
    learning_goals_for_child,
    session_rows,
    session_schools,
)
from care365.care.selectors.plans import (
    PLAN_FIELDS,
    AreaCoverage,
    DueItem,
    DueList,
    KindFigure,
    coverage_for_area,
    coverage_for_child,
    coverage_of_children,
    due_for_display,
    due_for_user,
    due_list_for_user,
    examinations_due,
    examinations_due_list,
    plan_status,
)
from care365.care.selectors.records import (
    GrowthPoint,
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
from care365.care.selectors.scope import care_settings_get
from care365.care.selectors.wishes import (
    WishCard,
    care_events_for_user,
    wish_board,
    wishes_claimed_by,
    wishes_for_child,
    wishes_for_user,
)

__all__ = [
    "PLAN_FIELDS",
    "AreaCoverage",
    "ChildLearning",
    "DonorRow",
    "DonorTotals",
    "DueItem",
    "DueList",
    "GiftFigures",
    "GrowthPoint",
    "KindFigure",
    "SessionFigure",
    "SessionRow",
    "TimelineEntry",
    "WishCard",
    "care_events_for_user",
    "care_settings_get",
    "child_learning",
    "contacts_for_child",
    "contacts_logged_by",
    "contacts_needing_follow_up",
    "coverage_for_area",
    "coverage_for_child",
    "coverage_of_children",
    "donor_totals",
    "donors_with_gifts",
    "due_for_display",
    "due_for_user",
    "due_list_for_user",
    "examinations_due",
    "examinations_due_list",
    "examinations_for_child",
    "gifts_of_event",
    "gifts_to_deliver",
    "growth_points",
    "health_session_figures",
    "health_sessions_for_user",
    "health_sessions_list",
    "interest_activities_for_child",
    "learning_goals_for_child",
    "plan_status",
    "risk_for_child",
    "risk_list",
    "screenings_for_child",
    "session_rows",
    "session_schools",
    "wish_board",
    "wishes_claimed_by",
    "wishes_for_child",
    "wishes_for_user",
]
