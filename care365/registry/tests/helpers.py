"""Checks the registry's tests share."""

from __future__ import annotations

from collections import defaultdict

from care365.registry.models import Child, ChildStatus, status_bits


def open_statuses_drift() -> dict[int, tuple[int, int]]:
    """Children whose copy of their open statuses (Child.open_statuses) disagrees with their open
    ChildStatus rows, the truth: {child id: (copy, truth)}. Empty when every copy is right."""
    kinds: defaultdict[int, list[str]] = defaultdict(list)
    for child_id, kind in ChildStatus.objects.filter(ended_on__isnull=True).values_list(
        "child_id", "kind"
    ):
        kinds[child_id].append(kind)
    drift = {}
    for pk, copy in Child.objects.values_list("pk", "open_statuses"):
        truth = status_bits(kinds.get(pk, []))
        if copy != truth:
            drift[pk] = (copy, truth)
    return drift
