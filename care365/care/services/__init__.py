"""Every write of daily care (one module per aggregate, re-exported here). Each service is one
transaction with its audit row; errors are ValidationErrors keyed by field.

- contacts: `contact_log` for every kind of contact;
- health: examinations (with the WHO growth scores) and health education sessions;
- screenings: wellbeing screenings, their referral and self-harm tasks, the self-harm alert;
- wishes: small wishes from post to confirmation, and care events;
- settings: the county's visit plan and its list of directors trained in screening.
"""

from .common import CareStateError
from .contacts import contact_log
from .health import examination_record, health_session_record
from .screenings import care_task_done, may_screen, raise_self_harm_alert, screening_record
from .settings import care_settings_update, screener_set
from .wishes import (
    care_event_record,
    wish_claim,
    wish_confirm,
    wish_deliver,
    wish_post,
    wish_release,
    wish_withdraw,
)

__all__ = [
    "CareStateError",
    "care_event_record",
    "care_settings_update",
    "care_task_done",
    "contact_log",
    "examination_record",
    "health_session_record",
    "may_screen",
    "raise_self_harm_alert",
    "screener_set",
    "screening_record",
    "wish_claim",
    "wish_confirm",
    "wish_deliver",
    "wish_post",
    "wish_release",
    "wish_withdraw",
]
