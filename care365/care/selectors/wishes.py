"""Reads of small wishes and care events. The public wish board never shows a child's full name,
address or school (Minors Protection Law art. 103): a given name or its initial, the age and the
township, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from care365.accounts.access import areas_for_user, child_visible, children_for_user
from care365.accounts.models import REGISTRY_ROLES, User
from care365.accounts.visibility import given_name
from care365.areas.models import Area
from care365.care.access import account, on_wish_board
from care365.care.models import CareEvent, Wish
from care365.care.selectors.scope import care_settings_get
from care365.registry.models import Child


@dataclass(frozen=True)
class WishCard:
    """A wish as the board shows it: no full name, no address, no school, no village."""

    id: int
    name: str  # the given name, or its first character where the county asks for initials
    age: int
    township: str
    what: str
    cost_yuan: int
    state: str


def wish_board(*, county: Area, today: date, include_claimed: bool = True) -> list[WishCard]:
    """The county's board of open (and claimed) wishes for volunteers and donors, oldest first.
    Only active children whose guardian agreed to share with volunteers appear."""
    initial_only = care_settings_get(county.pk).wish_board_initial_only
    wishes = (
        Wish.objects.filter(on_wish_board(county, include_claimed=include_claimed))
        .select_related("child", "child__village__parent")
        .order_by("posted_at", "pk")
    )
    cards = []
    for wish in wishes:
        child = wish.child
        name = given_name(child.name)
        township = child.village.parent
        cards.append(
            WishCard(
                id=wish.pk,
                name=name[:1] if initial_only else name,
                age=child.age_on(today),
                township=township.name if township is not None else "",
                what=wish.what,
                cost_yuan=wish.cost_yuan,
                state=wish.state,
            )
        )
    return cards


def wishes_for_user(user: User, *, states: list[str] | None = None) -> QuerySet[Wish]:
    """Wishes of the children the user may see (a volunteer: their paired children), newest
    first."""
    acc = account(user)
    if acc is None:
        return Wish.objects.none()
    qs = Wish.objects.filter(child__in=children_for_user(acc).values("pk"))
    if states:
        qs = qs.filter(state__in=states)
    return qs.select_related("child", "child__village").order_by("-posted_at", "-pk")


def wishes_for_child(user: User, child: Child) -> QuerySet[Wish]:
    """One child's wishes, newest first, if the user may see the child (`child_visible`, the
    access layer's own rule). For a child's page: `wishes_for_user(...).filter(child=child)`
    built the list of every child the user sees (a county's 100,000) to find one child's wishes."""
    acc = account(user)
    if acc is None or not child_visible(acc, child):
        return Wish.objects.none()
    return (
        Wish.objects.filter(child=child)
        .select_related("child", "child__village")
        .order_by("-posted_at", "-pk")
    )


def wishes_claimed_by(user: User) -> QuerySet[Wish]:
    """Wishes the user claimed and has not yet seen confirmed, oldest first."""
    acc = account(user)
    if acc is None:
        return Wish.objects.none()
    return Wish.objects.filter(
        claimed_by=acc, state__in=[Wish.State.CLAIMED, Wish.State.DELIVERED]
    ).order_by("claimed_at", "pk")


def care_events_for_user(user: User) -> QuerySet[CareEvent]:
    """Events held in the user's area, or that children the user may see came to."""
    acc = account(user)
    if acc is None:
        return CareEvent.objects.none()
    visible = Q(recorded_by=acc) | Q(
        pk__in=CareEvent.children.through.objects.filter(
            child_id__in=children_for_user(acc).values("pk")
        ).values("careevent_id")
    )
    if acc.role in REGISTRY_ROLES:
        visible |= Q(area__in=areas_for_user(acc))
    return CareEvent.objects.filter(visible).select_related("area").order_by("-held_on", "-pk")
