"""TODO docstring"""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from care365.accounts.access import children_for_user, county_of_user
from care365.accounts.models import CARER_ROLES, REGISTRY_ROLES, User
from care365.care import selectors
from care365.care.models import (
    CareTask,
    Wish,
)


def wish_get_for_user(user: User, wish_id: int) -> Wish:
    """A wish the user may act on: one of the children they see, one they claimed, or one on
    their county's board. Anything else is 404, like a missing wish."""
    if user.role not in (*REGISTRY_ROLES, *CARER_ROLES):
        raise Http404
    reach = Q(child__in=children_for_user(user).values("pk")) | Q(claimed_by=user)
    county = county_of_user(user)
    if county is not None:
        reach |= selectors.on_wish_board(county)
    wish = (
        Wish.objects.filter(reach, pk=wish_id)
        .select_related("child", "child__village", "child__village__parent")
        .first()
    )
    if wish is None:
        raise Http404
    return wish


def task_get_for_user(user: User, task_id: int) -> CareTask:
    """An open or done task the user holds, or (directors, supervisors) one of their area."""
    task = selectors.care_tasks_for_user(user, open_only=False).filter(pk=task_id).first()
    if task is None:
        raise Http404
    return task
