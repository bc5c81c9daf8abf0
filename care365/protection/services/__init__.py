"""Every write of instant protection (one module per aggregate, re-exported here).

- alerts: raising and answering alerts; the county's policy, duty shifts, contacts, help links,
  follow-up tasks;
- intake: alerts from the family's help link and from SMS;
- escalation: the sweeper that fires due escalation steps;
- outbox: queueing other apps' messages, and sending queued notifications by email, SMS and
  webhook;
- webhooks: organisations' webhook endpoints, and telling an organisation of an event.
"""

from care365.protection.services.alerts import (
    AlertStateError,
    alert_acknowledge,
    alert_on_the_way,
    alert_raise,
    alert_resolve,
    alert_with_child,
    duty_shift_add,
    escalation_policy_update,
    follow_up_done,
    help_link_issue,
    help_link_revoke,
    responder_contact_set,
)
from care365.protection.services.escalation import escalation_sweep
from care365.protection.services.intake import (
    HelpLinkNotFound,
    alert_raise_from_help_link,
    alert_raise_from_sms,
    children_with_guardian_phone,
    sms_intake_county,
    sms_signature_valid,
)
from care365.protection.services.outbox import LIMIT as OUTBOX_LIMIT
from care365.protection.services.outbox import (
    OutboxResult,
    backoff_seconds,
    channels_off,
    notification_queue,
    outbox_send,
    webhook_body,
    webhook_queue,
)
from care365.protection.services.steps import PG_NOTIFY_CHANNEL
from care365.protection.services.webhooks import (
    organisation_notify,
    webhook_endpoint_create,
    webhook_endpoint_deactivate,
    webhook_endpoint_rotate,
)

__all__ = [
    "OUTBOX_LIMIT",
    "PG_NOTIFY_CHANNEL",
    "AlertStateError",
    "HelpLinkNotFound",
    "OutboxResult",
    "alert_acknowledge",
    "alert_on_the_way",
    "alert_raise",
    "alert_raise_from_help_link",
    "alert_raise_from_sms",
    "alert_resolve",
    "alert_with_child",
    "backoff_seconds",
    "channels_off",
    "children_with_guardian_phone",
    "duty_shift_add",
    "escalation_policy_update",
    "escalation_sweep",
    "follow_up_done",
    "help_link_issue",
    "help_link_revoke",
    "notification_queue",
    "organisation_notify",
    "outbox_send",
    "responder_contact_set",
    "sms_intake_county",
    "sms_signature_valid",
    "webhook_body",
    "webhook_endpoint_create",
    "webhook_endpoint_deactivate",
    "webhook_endpoint_rotate",
    "webhook_queue",
]
