"""Instant protection's models: alerts and their escalation (alerts.py), the notification outbox
and the in-app event stream (outbox.py)."""

from care365.protection.models.alerts import (
    MANDATORY_REPORT_KINDS,
    MANY_SENDERS,
    Alert,
    AlertEvent,
    Channel,
    DutyShift,
    EscalationPolicy,
    FollowUpTask,
    HelpLink,
    InboundSms,
    Kind,
    Resolution,
    ResponderContact,
    Source,
    State,
    Told,
    Who,
)
from care365.protection.models.outbox import (
    WEBHOOK,
    InAppEvent,
    InAppStream,
    Notification,
    WebhookEndpoint,
)

__all__ = [
    "MANDATORY_REPORT_KINDS",
    "MANY_SENDERS",
    "WEBHOOK",
    "Alert",
    "AlertEvent",
    "Channel",
    "DutyShift",
    "EscalationPolicy",
    "FollowUpTask",
    "HelpLink",
    "InAppEvent",
    "InAppStream",
    "InboundSms",
    "Kind",
    "Notification",
    "Resolution",
    "ResponderContact",
    "Source",
    "State",
    "Told",
    "WebhookEndpoint",
    "Who",
]
