"""Reads of Children's Day and festival gifts: an event's gifts as the user may see them, what
the user still has to deliver, and a donor's totals.

A donor's totals name no child: counts and yuan by event, by county and by township, never by
village, and a cell of fewer than 5 gifts is shown as "<5" (its value too), so that no child can
be picked out of a small place (DESIGN.md, "No oracles"). `donor_totals` takes no user: the
county administrator's page and, later, the organisation's own staff read the same figures."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from care365.accounts.models import User
from care365.areas.models import Area
from care365.care.access import gifts_for_user
from care365.care.models import CareEvent, Gift
from care365.carers.models import Organisation
from care365.core.figures import is_hidden, small_cell

OPEN_STATES = (Gift.State.PLANNED, Gift.State.DELIVERED)


def gifts_of_event(user: User, event: CareEvent, *, state: str = "") -> QuerySet[Gift]:
    """The gifts of an event for the children the user may see (a volunteer: their paired
    children), by the children's villages."""
    qs = gifts_for_user(user).filter(event=event)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("child__village__name", "child_id", "pk")


def gifts_to_deliver(user: User) -> QuerySet[Gift]:
    """Gifts of the user's children still to be delivered or confirmed, the soonest event
    first: the volunteer's (and the director's) list on a phone."""
    return (
        gifts_for_user(user)
        .filter(state__in=OPEN_STATES)
        .order_by("event__held_on", "event_id", "child__village__name", "child_id", "pk")
    )


@dataclass(frozen=True)
class GiftFigures:
    """Counts of gifts and their value. `shown` gives each as a donor may see it: the number,
    or "<5" when fewer than 5 gifts lie behind it (zero included; when the row's gifts are
    fewer than 5, its value is hidden too)."""

    gifts: int
    value_yuan: int
    delivered: int  # delivered, whether or not yet confirmed
    confirmed: int
    not_delivered: int

    @property
    def hidden(self) -> bool:
        return is_hidden(self.gifts)

    def shown(self) -> dict[str, str]:
        if self.hidden:
            return dict.fromkeys(
                ("gifts", "value_yuan", "delivered", "confirmed", "not_delivered"), small_cell(0)
            )
        return {
            "gifts": str(self.gifts),
            "value_yuan": str(self.value_yuan),
            "delivered": small_cell(self.delivered),
            "confirmed": small_cell(self.confirmed),
            "not_delivered": small_cell(self.not_delivered),
        }


@dataclass(frozen=True)
class DonorRow:
    """One line of a donor's totals: an event (its title and day) or an area (a county or a
    township)."""

    label: str
    figures: GiftFigures
    held_on: date | None = None
    county: str = ""


@dataclass(frozen=True)
class DonorTotals:
    organisation: Organisation
    total: GiftFigures
    by_event: list[DonorRow] = field(default_factory=list)
    by_county: list[DonorRow] = field(default_factory=list)
    by_township: list[DonorRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The totals as the API answers them and the thanks carry them: strings, "<5" where
        a cell is small; the donor's own totals exact."""
        total = self.total
        return {
            "organisation": {"id": self.organisation.pk, "name": self.organisation.name},
            "total": {
                "gifts": total.gifts,
                "value_yuan": total.value_yuan,
                "delivered": total.delivered,
                "confirmed": total.confirmed,
                "not_delivered": total.not_delivered,
            },
            "by_event": [
                {"title": r.label, "held_on": r.held_on, **r.figures.shown()} for r in self.by_event
            ],
            "by_county": [{"county": r.label, **r.figures.shown()} for r in self.by_county],
            "by_township": [
                {"township": r.label, "county": r.county, **r.figures.shown()}
                for r in self.by_township
            ],
        }


_FIGURES = {
    "n": Count("pk"),
    "value": Sum("value_yuan"),
    "delivered": Count("pk", filter=Q(state__in=[Gift.State.DELIVERED, Gift.State.CONFIRMED])),
    "confirmed": Count("pk", filter=Q(state=Gift.State.CONFIRMED)),
    "not_delivered": Count("pk", filter=Q(state=Gift.State.NOT_DELIVERED)),
}


def _figures(row: Mapping[str, Any]) -> GiftFigures:
    return GiftFigures(
        gifts=row["n"] or 0,
        value_yuan=row["value"] or 0,
        delivered=row["delivered"] or 0,
        confirmed=row["confirmed"] or 0,
        not_delivered=row["not_delivered"] or 0,
    )


def donor_totals(
    organisation: Organisation,
    *,
    county: Area | None = None,
    events: Iterable[CareEvent] | None = None,
) -> DonorTotals:
    """What a donor organisation gave: how many gifts and their value, how many reached the
    children and were confirmed with them, by event, by county and by township. Limited to the
    children of `county` (a county administrator's page) and to `events`, when given. Reads no
    child's record: four grouped queries, nothing per child."""
    gifts = Gift.objects.filter(donor=organisation)
    if county is not None:
        gifts = gifts.filter(child__village__code__startswith=county.code)
    if events is not None:
        gifts = gifts.filter(event__in=[e.pk for e in events])
    total = _figures(gifts.aggregate(**_FIGURES))
    by_event = [
        DonorRow(label=row["event__title"], held_on=row["event__held_on"], figures=_figures(row))
        for row in gifts.values("event_id", "event__title", "event__held_on")
        .annotate(**_FIGURES)
        .order_by("-event__held_on", "event_id")
    ]
    by_county = [
        DonorRow(label=row["child__village__parent__parent__name"], figures=_figures(row))
        for row in gifts.values(
            "child__village__parent__parent_id", "child__village__parent__parent__name"
        )
        .annotate(**_FIGURES)
        .order_by("child__village__parent__parent__name", "child__village__parent__parent_id")
    ]
    by_township = [
        DonorRow(
            label=row["child__village__parent__name"],
            county=row["child__village__parent__parent__name"],
            figures=_figures(row),
        )
        for row in gifts.values(
            "child__village__parent_id",
            "child__village__parent__name",
            "child__village__parent__parent__name",
        )
        .annotate(**_FIGURES)
        .order_by(
            "child__village__parent__parent__name",
            "child__village__parent__name",
            "child__village__parent_id",
        )
    ]
    return DonorTotals(
        organisation=organisation,
        total=total,
        by_event=by_event,
        by_county=by_county,
        by_township=by_township,
    )


def donors_with_gifts(county: Area) -> QuerySet[Organisation]:
    """The organisations that gave gifts to the county's children, with how many
    (`gift_count`), the most first: the county administrator's list of donors."""
    return (
        Organisation.objects.filter(gifts__child__village__code__startswith=county.code)
        .annotate(gift_count=Count("gifts"))
        .order_by("-gift_count", "name", "pk")
    )
