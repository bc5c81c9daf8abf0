"""The network's writes, one module per aggregate: open mandatory reports (`reports`) and
referrals (`referrals`)."""

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
    "OVERDUE_NOTICE",
    "RECEIPT_ALPHABET",
    "RECEIPT_LENGTH",
    "STATUS_OF_STATE",
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
