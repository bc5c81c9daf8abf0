"""The network's writes, one module per aggregate: open mandatory reports (`reports`),
referrals (`referrals`) and case conferences (`conferences`)."""

from care365.network.services.conferences import (
    ACTION_OVERDUE_NOTICE,
    conference_action_add,
    conference_action_done,
    conference_actions_remind_overdue,
    conference_attendee_add,
    conference_close,
    conference_create,
    conference_hold,
    conference_update,
)
from care365.network.services.referrals import (
    OVERDUE_NOTICE,
    referral_accept,
    referral_create,
    referral_decline,
    referral_done,
    referrals_remind_overdue,
)
from care365.network.services.reports import (
    RECEIPT_ALPHABET,
    RECEIPT_LENGTH,
    STATUS_OF_STATE,
    mandatory_report_submit,
    normalise_receipt,
    receipt_lookup,
    registration_task_done,
    throttle_key,
)

__all__ = [
    "ACTION_OVERDUE_NOTICE",
    "OVERDUE_NOTICE",
    "RECEIPT_ALPHABET",
    "RECEIPT_LENGTH",
    "STATUS_OF_STATE",
    "conference_action_add",
    "conference_action_done",
    "conference_actions_remind_overdue",
    "conference_attendee_add",
    "conference_close",
    "conference_create",
    "conference_hold",
    "conference_update",
    "mandatory_report_submit",
    "normalise_receipt",
    "receipt_lookup",
    "referral_accept",
    "referral_create",
    "referral_decline",
    "referral_done",
    "referrals_remind_overdue",
    "registration_task_done",
    "throttle_key",
]
