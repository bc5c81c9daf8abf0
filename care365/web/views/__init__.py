"""The pages: parse, call one selector or service, render."""

from .carers import carer_detail, carer_list_view
from .children import (
    child_detail,
    child_edit,
    child_exit,
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

__all__ = [
    "carer_detail",
    "carer_list_view",
    "child_detail",
    "child_edit",
    "child_exit",
    "child_list_view",
    "child_register",
    "child_reveal_id",
    "child_search",
    "duplicate_resolve",
    "home",
    "parent_return",
    "status_add",
    "status_end",
]
