"""The pages: parse, call one selector or service, render."""

from .carers import carer_detail, carer_list_view
from .children import (
    child_detail,
    child_edit,
    child_exit,
    child_export,
    child_list_view,
    child_register,
    child_reveal_id,
    child_search,
    duplicate_resolve,
    parent_return,
    status_add,
    status_end,
)
from .home import home
from .pairing import (
    consent_record,
    consent_withdraw,
    notices_read,
    pair_rule_remove,
    pair_rule_set,
    pairing_approve,
    pairing_index,
    pairing_propose,
    pairing_run,
    pairing_settings,
)
from .privacy import access_log, child_break_glass

__all__ = [
    "access_log",
    "carer_detail",
    "carer_list_view",
    "child_break_glass",
    "child_detail",
    "child_edit",
    "child_exit",
    "child_export",
    "child_list_view",
    "child_register",
    "child_reveal_id",
    "child_search",
    "consent_record",
    "consent_withdraw",
    "duplicate_resolve",
    "home",
    "notices_read",
    "pair_rule_remove",
    "pair_rule_set",
    "pairing_approve",
    "pairing_index",
    "pairing_propose",
    "pairing_run",
    "pairing_settings",
    "parent_return",
    "status_add",
    "status_end",
]
