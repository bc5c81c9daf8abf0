"""A paginator for long lists: it counts exactly up to accounts.selectors.COUNT_CAP rows."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from care365.accounts.selectors import capped_count, rows_by_id


class CappedPaginator(Paginator):  # type: ignore[type-arg]  # generic only in the stubs
    """`count` is exact up to the cap; `count_is_exact` says whether it was reached. The list
    is a QuerySet, or a sequence that counts itself the same way (its `capped_count()`, such as
    care's due list)."""

    @cached_property
    def _capped(self) -> tuple[int, bool]:
        own = getattr(self.object_list, "capped_count", None)
        if own is not None:
            return own()  # type: ignore[no-any-return]
        return capped_count(self.object_list)  # type: ignore[arg-type]  # a QuerySet here

    @cached_property
    def count(self) -> int:
        return self._capped[0]

    @property
    def count_is_exact(self) -> bool:
        return self._capped[1]

    def page(self, number: Any) -> Page:  # type: ignore[type-arg]  # generic only in the stubs
        """Django's page, its rows read by id (accounts.selectors.rows_by_id, for speed)."""
        page = super().page(number)
        if isinstance(self.object_list, QuerySet):
            page.object_list = rows_by_id(self.object_list, page.object_list)  # type: ignore[arg-type]
        return page
