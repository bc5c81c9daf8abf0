"""The roll-ups behind every dashboard, report and statistic (docs/insights.md).

`Tally` holds counts: for each village, and for every area above it (township, county and any
level the tree has above that), one row per figure (`metric`, `key`) and period: "" for the
state now (children by status, overdue contacts, ...), "YYYY-MM" for what happened in a month
(contacts made, alerts raised, exits by reason, ...). A village's rows are computed exactly from
the source tables (`services.village_compute`); an area's rows are the sums of its villages', kept
by adding each village's change to every area above it in the same transaction that rewrites the
village. Reading a figure for any area is therefore reading a few rows, whatever its size.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.insights.reports.models import Report

__all__ = ["ChildPlace", "PendingVillage", "Report", "RollupState", "Tally"]


class Tally(models.Model):
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    # "" for the state as of the last refresh; "YYYY-MM" for the events of a month.
    period = models.CharField(max_length=7, blank=True)
    metric = models.CharField(max_length=24)
    key = models.CharField(max_length=40, blank=True)
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "period", "metric", "key"], name="tally_one_per_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}/{self.key} of area #{self.area_id} {self.period or 'now'}: {self.n}"


class ChildPlace(models.Model):
    """The village each child was last counted in: when a child moves, the village they left is
    refreshed as well as the one they joined."""

    child_id = models.BigIntegerField(primary_key=True)
    village = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("counted place")
        verbose_name_plural = _("counted places")

    def __str__(self) -> str:
        return f"child #{self.child_id} counted in area #{self.village_id}"


class PendingVillage(models.Model):
    """A village whose figures wait for the next refresh (marked after a change commits)."""

    village = models.OneToOneField(
        Area, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("village to refresh")
        verbose_name_plural = _("villages to refresh")

    def __str__(self) -> str:
        return f"area #{self.village_id} to refresh"


class RollupState(models.Model):
    """How far the roll-ups have read: the last audit entry (`seq`) whose change is counted, the
    day the state figures were computed for, and the last full rebuild."""

    name = models.CharField(max_length=16, primary_key=True, default="tally")
    seq = models.BigIntegerField(default=0)
    day = models.DateField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("roll-up state")
        verbose_name_plural = _("roll-up states")

    def __str__(self) -> str:
        return f"{self.name} at #{self.seq} ({self.day})"
