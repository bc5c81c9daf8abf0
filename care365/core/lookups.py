"""`field__in=[...]` of many values as one array parameter on PostgreSQL.

Django writes `IN (%s, %s, ...)`, one placeholder a value. A list of a few thousand ids (a chunk
of an import, the children whose next-due dates are rewritten, the villages of a county) costs
twice on the way: Django prepares each value and psycopg parses the whole statement to merge the
values in (the longer the statement, the longer; 15 ms for 2,000 ids, 13% of an import's time).
PostgreSQL itself reads `x IN (1, 2, 3)` as `x = ANY ('{1,2,3}')`: written that way, with the
list as one parameter, the statement is short, the plan the same (the array is a constant, so the
planner still counts its elements) and psycopg sends the list as one array literal.

Registered for every field and relation in `CoreConfig.ready`. Short lists keep Django's own SQL
(easier to read in a log), and so does every other database, a subquery, and a list whose values
are expressions rather than plain parameters.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field
from django.db.models.fields.related import ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In

# From this many values a list goes as one array.
ARRAY_FROM = 20


class _ArrayMixin:
    """For `In` and `RelatedIn`: a direct list of plain parameters on PostgreSQL goes as
    `= ANY(%s)` with one parameter, the list."""

    as_array = False

    def batch_process_rhs(
        self, compiler: Any, connection: Any, rhs: Any = None
    ) -> tuple[list[str], tuple[Any, ...]]:
        """Django's, without its per-value look for expressions to compile when there are none
        (3.5 µs a value: 7 ms for a list of 2,000 ids, each time)."""
        values = self.rhs if rhs is None else rhs  # type: ignore[attr-defined]
        if (
            connection.vendor == "postgresql"
            and not self.bilateral_transforms  # type: ignore[attr-defined]
            and len(values) >= ARRAY_FROM
            and not any(hasattr(v, "resolve_expression") or hasattr(v, "as_sql") for v in values)
        ):
            _sql, params = self.get_db_prep_lookup(values, connection)  # type: ignore[attr-defined]
            return ["%s"] * len(params), tuple(params)
        return super().batch_process_rhs(compiler, connection, rhs)  # type: ignore[misc, no-any-return]

    def process_rhs(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        sql, params = super().process_rhs(compiler, connection)  # type: ignore[misc]
        self.as_array = (
            connection.vendor == "postgresql"
            and self.rhs_is_direct_value()  # type: ignore[attr-defined]
            and len(params) >= ARRAY_FROM
            and sql == "(" + ", ".join(["%s"] * len(params)) + ")"
        )
        if self.as_array:
            return "%s", [list(params)]
        return sql, list(params)

    def get_rhs_op(self, connection: Any, rhs: str) -> str:
        if self.as_array:
            return f"= ANY({rhs})"
        return super().get_rhs_op(connection, rhs)  # type: ignore[misc, no-any-return]


# The stubs name `process_rhs`'s first parameter `compiler` in one base and `qn` in another.
class ArrayIn(_ArrayMixin, In):  # type: ignore[misc]
    pass


class RelatedArrayIn(_ArrayMixin, RelatedIn):  # type: ignore[misc]
    pass


def register() -> None:
    Field.register_lookup(ArrayIn)
    ForeignObject.register_lookup(RelatedArrayIn)
