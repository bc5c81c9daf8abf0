"""What is read of carers beyond one carer's record: counts for the figures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from typing import Any

from django.db.models import Count, QuerySet

from care365.carers.models import Carer, Organisation


def active_carers_by_role(area_ids: Collection[int] | QuerySet[Any, Any]) -> dict[str, int]:
    """Active carers per role of the organisations in these areas. Counted per organisation and
    role from `carer_org_role_active_idx` (an index-only scan, already grouped), then summed: a
    province's county holds hundreds of thousands of carers, and joining each row to its
    organisation costs twice as much as the count."""
    organisations = Organisation.objects.filter(area_id__in=area_ids).values("pk")
    rows = (
        Carer.objects.filter(active=True, organisation_id__in=organisations)
        .order_by()
        .values_list("organisation_id", "role")
        .annotate(n=Count("id"))
        .values_list("role", "n")
    )
    totals: Counter[str] = Counter()
    for role, n in rows:
        totals[role] += n
    return dict(totals)
