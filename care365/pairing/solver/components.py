"""Connected components of a graph given as arc lists, and their packing into batches.

The pairing graph of a province falls apart where no carer reaches across (mountains, county
lines with their own carers); each part is an independent min-cost flow, so parts can be solved
in parallel processes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]


def component_labels(n: int, tails: IntArray, heads: IntArray) -> IntArray:
    """Label 0..k-1 of each node's component (label propagation with pointer jumping)."""
    parent = np.arange(n, dtype=np.int64)
    if len(tails) == 0:
        return parent
    while True:
        a = parent[tails]
        b = parent[heads]
        low = np.minimum(a, b)
        before = parent.copy()
        np.minimum.at(parent, a, low)
        np.minimum.at(parent, b, low)
        while True:  # point every node at its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        if np.array_equal(parent, before):
            break
    _, labels = np.unique(parent, return_inverse=True)
    return labels.astype(np.int64)


def pack(sizes: IntArray, bins: int) -> IntArray:
    """Assign items (components, by size) to at most `bins` batches of similar total size."""
    batch = np.zeros(len(sizes), dtype=np.int64)
    if bins <= 1 or len(sizes) <= 1:
        return batch
    load = [0] * bins
    for item in np.argsort(-sizes, kind="stable").tolist():
        target = min(range(bins), key=load.__getitem__)
        batch[item] = target
        load[target] += int(sizes[item])
    return batch
