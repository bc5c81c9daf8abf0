"""Every write of daily care (one module per aggregate, re-exported here). Each service is one
transaction with its audit row; errors are ValidationErrors keyed by field.

Beside the services sit the predicates the pages and the API ask before offering a form or a
button (`contact_kinds_allowed`, `may_examine`, `may_screen`, `screening_consent_holds`,
`may_post_wish`, `wish_steps_allowed`): each is the rule its service enforces, so the two cannot
drift apart.

- contacts: `contact_log` for every kind of contact;
- health: examinations (with the WHO growth scores);
- education: health education sessions;
- learning: the volunteers' study help (learning goals, progress notes) and interest activities;
- screenings: wellbeing screenings, their referral and self-harm tasks, the self-harm alert;
- wishes: small wishes from post to confirmation, and care events;
- gifts: Children's Day and festival gifts per child, and the donor's thanks;
- settings: the county's visit plan and its list of directors trained in screening.
"""

from care365.care.access import (
    contact_kinds_allowed,
    enters_examinations,
    may_examine,
    may_post_wish,
    may_screen,
    may_write_learning,
    sees_learning,
    wish_steps_allowed,
)
from care365.care.services.common import CareStateError
from care365.care.services.contacts import contact_log
from care365.care.services.education import health_session_record
from care365.care.services.gifts import (
    GiftPlanResult,
    donor_thank,
    gift_confirm,
    gift_deliver,
    gift_not_delivered,
    gift_plan,
)
from care365.care.services.health import examination_record
from care365.care.services.learning import (
    interest_activity_record,
    learning_goal_set,
    learning_note_add,
)
from care365.care.services.screenings import (
    care_task_done,
    raise_self_harm_alert,
    screening_consent_holds,
    screening_record,
)
from care365.care.services.settings import care_settings_update, screener_set
from care365.care.services.wishes import (
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
    "GiftPlanResult",
    "care_event_record",
    "care_settings_update",
    "care_task_done",
    "contact_kinds_allowed",
    "contact_log",
    "donor_thank",
    "enters_examinations",
    "examination_record",
    "gift_confirm",
    "gift_deliver",
    "gift_not_delivered",
    "gift_plan",
    "health_session_record",
    "interest_activity_record",
    "learning_goal_set",
    "learning_note_add",
    "may_examine",
    "may_post_wish",
    "may_screen",
    "may_write_learning",
    "raise_self_harm_alert",
    "screener_set",
    "screening_consent_holds",
    "screening_record",
    "sees_learning",
    "wish_claim",
    "wish_confirm",
    "wish_deliver",
    "wish_post",
    "wish_release",
    "wish_steps_allowed",
    "wish_withdraw",
]
