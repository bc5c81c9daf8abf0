"""Small numpy helpers: row keys, joins and expansions over compressed tables."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]

_LIMIT = 1 << 62


def keys(*columns: IntArray) -> IntArray:
    """One int64 per row, equal exactly when the rows are equal (columns are >= 0)."""
    if not columns:
        raise ValueError("no columns")
    n = len(columns[0])
    radices = [int(c.max()) + 1 if len(c) else 1 for c in columns]
    total = 1
    for r in radices:
        total *= r
    if total < _LIMIT:
        key = np.zeros(n, dtype=np.int64)
        for column, radix in zip(columns, radices, strict=True):
            key *= radix
            key += column
        return key
    stacked = np.stack(columns, axis=1)
    _, inverse = np.unique(stacked, axis=0, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64)


def keys2(left: Sequence[IntArray], right: Sequence[IntArray]) -> tuple[IntArray, IntArray]:
    """Row keys for two tables with the same columns, comparable across the two."""
    n = len(left[0])
    both = keys(*(np.concatenate([a, b]) for a, b in zip(left, right, strict=True)))
    return both[:n], both[n:]


def join(left: IntArray, right: IntArray) -> tuple[IntArray, IntArray]:
    """All (i, j) with left[i] == right[j], ordered by i, then by j."""
    order = np.argsort(right, kind="stable")
    ordered = right[order]
    lo = np.searchsorted(ordered, left, side="left")
    hi = np.searchsorted(ordered, left, side="right")
    counts = hi - lo
    total = int(counts.sum())
    i = np.repeat(np.arange(len(left), dtype=np.int64), counts)
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    j = order[starts + np.arange(total, dtype=np.int64)]
    return i, j.astype(np.int64)


def member(values: IntArray, allowed: IntArray) -> NDArray[np.bool_]:
    if len(allowed) == 0:
        return np.zeros(len(values), dtype=np.bool_)
    return np.isin(values, allowed)


def csr(groups: IntArray, n_groups: int) -> tuple[IntArray, IntArray]:
    """Rows grouped by group: (indptr, rows) with rows of group g at indptr[g]:indptr[g+1]."""
    order = np.argsort(groups, kind="stable").astype(np.int64)
    counts = np.bincount(groups, minlength=n_groups)
    indptr = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, order


def expand(which: IntArray, indptr: IntArray, values: IntArray) -> tuple[IntArray, IntArray]:
    """For each i, every value of table row which[i]: (i repeated, value)."""
    counts = indptr[which + 1] - indptr[which]
    total = int(counts.sum())
    i = np.repeat(np.arange(len(which), dtype=np.int64), counts)
    starts = np.repeat(indptr[which] - (np.cumsum(counts) - counts), counts)
    return i, values[starts + np.arange(total, dtype=np.int64)]


def table(rows: Sequence[Sequence[int]]) -> tuple[IntArray, IntArray]:
    """A compressed table (indptr, values) from Python lists."""
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    values = np.fromiter((v for r in rows for v in r), dtype=np.int64, count=int(indptr[-1]))
    return indptr, values
