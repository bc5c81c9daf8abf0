"""Every read of instant protection (one module per subject, re-exported here).

- alerts: who sees which alerts, one alert, who may answer it, who raised it, its incident
  record, the safety card, follow-up tasks;
- figures: response times;
- county: the escalation policy, duty shifts, help links;
- stream: the in-app event stream, the next deadline, the workers' health.
"""

from care365.protection.selectors.alerts import (
    AlertRow,
    AlertTimeline,
    FollowUpRow,
    SafetyCard,
    TimelineEvent,
    TimelineNotification,
    alert_reporter_for_user,
    alert_rows,
    alert_timeline,
    alerts_open_count_for_user,
    alerts_open_for_user,
    alerts_resolved_for_user,
    child_open_alerts,
    follow_up_rows,
    follow_ups_for_user,
    safety_card,
)
from care365.protection.selectors.county import (
    PolicyView,
    duty_shifts_now,
    escalation_policy_get,
    help_link_find,
    help_link_for_child,
    help_link_requests,
)
from care365.protection.selectors.figures import Figures, ResponseTimes, percentile, response_times
from care365.protection.selectors.stream import (
    SWEEPER_SILENT_AFTER,
    events_for_user_since,
    events_last_id,
    next_escalation_at,
    sweeper_healthy,
    sweeper_last_seen,
)
from care365.protection.selectors.webhooks import webhook_delivery_list, webhook_endpoints_of

__all__ = [
    "SWEEPER_SILENT_AFTER",
    "AlertRow",
    "AlertTimeline",
    "Figures",
    "FollowUpRow",
    "PolicyView",
    "ResponseTimes",
    "SafetyCard",
    "TimelineEvent",
    "TimelineNotification",
    "alert_reporter_for_user",
    "alert_rows",
    "alert_timeline",
    "alerts_open_count_for_user",
    "alerts_open_for_user",
    "alerts_resolved_for_user",
    "child_open_alerts",
    "duty_shifts_now",
    "escalation_policy_get",
    "events_for_user_since",
    "events_last_id",
    "follow_up_rows",
    "follow_ups_for_user",
    "help_link_find",
    "help_link_for_child",
    "help_link_requests",
    "next_escalation_at",
    "percentile",
    "response_times",
    "safety_card",
    "sweeper_healthy",
    "sweeper_last_seen",
    "webhook_delivery_list",
    "webhook_endpoints_of",
]
