"""The rows of each list export (children, carers, due, risk, alerts), for the lists' own
selectors' results, as the user may see them.

Which columns a user gets is decided by the field groups their role sees
(`accounts.visibility.groups_for`), and every child's cells are read from `child_view` or
`child_row`, which leave out what the role may not see: a column is there only if the role sees
its group, and its cells come from a view that holds nothing else. The rows are read in chunks
(`CHUNK` children at a time, their statuses, parents and teams in one query per chunk), so an
export of any size holds one chunk in memory.

The generators run while the file is sent, after the view has returned: each takes the
language the header was made in and renders its labels in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from care365.accounts.models import User
from care365.accounts.visibility import FieldGroup, child_row, child_view, groups_for
from care365.care import selectors as care_selectors
from care365.care.models import PlanKind, RiskScore
from care365.care.selectors import DueItem
from care365.carers.models import Carer, CarerRole
from care365.pairing.selectors import teams_of
from care365.protection import selectors as protection_selectors
from care365.protection.models import Alert
from care365.registry.models import Child as ChildModel
from care365.registry.models import (
    Ethnicity,
    Grade,
    GuardianRelationship,
    Hukou,
    IncomeSource,
    Interest,
    Language,
    Sex,
    StatusKind,
)

CHUNK = 1000
T = TypeVar("T")


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _label(choices: Any, value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return str(capfirst(choices(value).label))
    except ValueError:
        return str(value)


def _labels(choices: Any, values: Iterable[Any]) -> str:
    return "、".join(_label(choices, v) for v in values or ())


@dataclass(frozen=True)
class Table:
    """A list as a file: its header, how many rows, and the rows (a generator, read once)."""

    title: str
    header: list[str]
    count: int
    rows: Iterable[Sequence[Any]]


# --- children ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: Callable[[], str]
    # The column is there for a role that sees any of these groups; empty: for every role
    # (a child's record number, age and village are on every row any role is shown).
    groups: frozenset[FieldGroup]
    cell: Callable[[dict[str, Any]], Any]


ANY: frozenset[FieldGroup] = frozenset()


def _guardian(key: str) -> Callable[[dict[str, Any]], Any]:
    def cell(d: dict[str, Any]) -> Any:
        guardian = d.get("guardian") or {}
        value = guardian.get(key, "")
        return _label(GuardianRelationship, value) if key == "relationship" else value

    return cell


def _open_statuses(d: dict[str, Any]) -> str:
    return _labels(StatusKind, [s["kind"] for s in d.get("statuses", []) if not s["ended_on"]])


def _get(key: str, choices: Any = None) -> Callable[[dict[str, Any]], Any]:
    """A cell read from the child's view (`child_view`): "" where the view does not hold it."""

    def cell(d: dict[str, Any]) -> Any:
        value = d.get(key, "")
        return _label(choices, value) if choices is not None else value

    return cell


def _township(d: dict[str, Any]) -> str:
    return str((d.get("township") or {}).get("name", ""))


def _list_of(key: str, choices: Any) -> Callable[[dict[str, Any]], str]:
    return lambda d: _labels(choices, d.get(key, []))


G = FieldGroup
IDENT, CARD, ID_NO = (
    frozenset({G.IDENTITY}),
    frozenset({G.VOLUNTEER_CARD}),
    frozenset({G.ID_NUMBER}),
)
ADDRESS, SCHOOL, FAMILY = frozenset({G.ADDRESS}), frozenset({G.SCHOOLING}), frozenset({G.FAMILY})
HEALTH, STATUS = frozenset({G.HEALTH}), frozenset({G.STATUS})
INTERESTS = frozenset({G.INTERESTS})

CHILD_COLUMNS: tuple[Column, ...] = (
    Column(lambda: _("record no."), ANY, _get("id")),
    Column(lambda: _("name"), IDENT, _get("name")),
    Column(lambda: _("given name"), CARD, _get("given_name")),
    Column(lambda: _("sex"), IDENT, _get("sex", Sex)),
    Column(lambda: _("birth date"), IDENT, _get("birth_date")),
    Column(lambda: _("age"), ANY, _get("age")),
    Column(lambda: _("ethnicity"), IDENT, _get("ethnicity", Ethnicity)),
    Column(lambda: _("ID number (masked)"), ID_NO, _get("id_number")),
    Column(lambda: _("township"), IDENT, _township),
    Column(lambda: _("village"), ANY, lambda d: d["village"]["name"]),
    Column(lambda: _("status"), STATUS, _open_statuses),
    Column(lambda: _("address"), ADDRESS, _get("address")),
    Column(lambda: _("hukou"), ADDRESS, _get("hukou", Hukou)),
    Column(lambda: _("school"), SCHOOL, _get("school")),
    # The grade and the interests are on the volunteer's card too.
    Column(lambda: _("grade"), SCHOOL | CARD, _get("grade", Grade)),
    Column(lambda: _("boards at school"), SCHOOL, _get("boarding")),
    Column(lambda: _("entrusted carer"), FAMILY, _guardian("name")),
    Column(lambda: _("relationship"), FAMILY, _guardian("relationship")),
    Column(lambda: _("entrusted carer's phone"), FAMILY, _guardian("phone")),
    Column(lambda: _("main family income source"), FAMILY, _get("income_source", IncomeSource)),
    Column(lambda: _("health notes"), HEALTH, _get("health_notes")),
    Column(lambda: _("disability notes"), HEALTH, _get("disability_notes")),
    Column(lambda: _("interests"), INTERESTS | CARD, _list_of("interests", Interest)),
    Column(lambda: _("languages"), INTERESTS, _list_of("languages", Language)),
    Column(lambda: _("exited on"), IDENT, _get("exited_on")),
)


def child_columns(user: User) -> list[Column]:
    """The children export's columns for this user's role."""
    groups = groups_for(user)
    return [c for c in CHILD_COLUMNS if not c.groups or c.groups & groups]


def children_table(
    user: User, children: QuerySet[ChildModel], *, language: str, today: date | None = None
) -> Table:
    """The children of a list (`accounts.selectors.child_list`, the page's filters applied)."""
    today = today or timezone.localdate()
    columns = child_columns(user)
    header = [*(str(capfirst(c.label())) for c in columns), _("Team")]
    count = children.count()
    groups = groups_for(user)

    def rows() -> Iterator[list[Any]]:
        with translation.override(language):
            wanted = children.select_related("village", "village__parent", "guardian")
            if FieldGroup.STATUS in groups or FieldGroup.FAMILY in groups:
                wanted = wanted.prefetch_related("statuses", "parents")
            for batch in chunks(wanted.iterator(chunk_size=CHUNK)):
                teams = teams_of(batch)
                for child in batch:
                    view = child_view(child, user, today=today)
                    data = {"id": view.id, **view.data}
                    team = "、".join(
                        f"{_label(CarerRole, m.role)}: {m.name}" for m in teams[child.pk]
                    )
                    yield [*(c.cell(data) for c in columns), team if groups else ""]

    return Table(_("Children"), header, count, rows())


# --- carers --------------------------------------------------------------------------------


def carers_table(carers: QuerySet[Carer], *, language: str) -> Table:
    """The carers of the carers list (`accounts.selectors.carer_list`): what its page shows."""
    header = [
        _("Name"),
        _("Role"),
        _("Organisation"),
        _("Area"),
        _("Capacity"),
        _("Trained on"),
        _("Active"),
    ]
    count = carers.count()

    def rows() -> Iterator[list[Any]]:
        with translation.override(language):
            for carer in carers.iterator(chunk_size=CHUNK):
                yield [
                    carer.name,
                    _label(CarerRole, carer.role),
                    carer.organisation.name,
                    carer.organisation.area.name,
                    carer.capacity,
                    carer.trained_on,
                    carer.active,
                ]

    return Table(_("Carers"), header, count, rows())


# --- due, risk, alerts ---------------------------------------------------------------------


def _child_cells(row: dict[str, Any] | None) -> list[Any]:
    if row is None:
        return ["", "", ""]
    return [row["id"], row.get("name", ""), row["village"]["name"]]


def due_table(user: User, items: Sequence[DueItem], *, language: str) -> Table:
    """The due list (`care.selectors.due_for_user`, in its order); the children of each chunk
    read in full through the access layer (`due_for_display`)."""
    header = [
        _("record no."),
        _("Child"),
        _("village"),
        _("What"),
        _("Due on"),
        _("Days overdue"),
        _("Last"),
        _("Risk list: more often"),
    ]

    def rows() -> Iterator[list[Any]]:
        with translation.override(language):
            for batch in chunks(items):
                for item in care_selectors.due_for_display(user, batch):
                    yield [
                        *_child_cells(child_row(item.child, user)),
                        _label(PlanKind, item.kind),
                        item.due_on,
                        max(item.days_overdue, 0),
                        item.last_on,
                        item.tightened,
                    ]

    return Table(_("Due and overdue"), header, len(items), rows())


def risk_table(user: User, scores: QuerySet[RiskScore], *, language: str) -> Table:
    """The risk list (`care.selectors.risk_list`), highest first, each reason in words."""
    from care365.care.templatetags.care_tags import risk_reason

    header = [_("record no."), _("Child"), _("village"), _("Score"), _("Why")]
    count = scores.count()

    def rows() -> Iterator[list[Any]]:
        with translation.override(language):
            for score in scores.iterator(chunk_size=CHUNK):
                reasons = "; ".join(
                    f"{risk_reason(item)} (+{item.get('points', 0)})" for item in score.reasons
                )
                yield [*_child_cells(child_row(score.child, user)), score.score, reasons]

    return Table(_("Risk list"), header, count, rows())


def alerts_table(user: User, alerts: QuerySet[Alert], *, language: str) -> Table:
    """Open alerts the user may see (`protection.selectors.alerts_open_for_user`), newest
    first, as the board shows them (`alert_rows`: who has each, the child as the role sees)."""
    from care365.protection.models import Kind, State

    header = [
        _("Alert no."),
        _("Raised at"),
        _("Kind"),
        _("State"),
        _("record no."),
        _("Child"),
        _("village"),
        _("Officer"),
        _("Answered by"),
        _("Escalation level"),
    ]
    count = alerts.count()

    def rows() -> Iterator[list[Any]]:
        with translation.override(language):
            for batch in chunks(alerts.iterator(chunk_size=CHUNK)):
                for row in protection_selectors.alert_rows(user, batch):
                    alert = row.alert
                    yield [
                        alert.pk,
                        alert.raised_at,
                        _label(Kind, alert.kind),
                        _label(State, alert.state),
                        *_child_cells(row.child),
                        row.officer,
                        row.answered_by,
                        alert.level,
                    ]

    return Table(_("Alerts"), header, count, rows())
