"""Each child's plan as stored rows: for every planned kind, when it is next due.

The due lists read these rows instead of working out every child's plan on each request
(docs/care.md, "Stored next-due dates"). A row is derived, never edited by hand: the services
that change what a plan depends on rewrite the child's rows in their own transaction
(`services.plans.plan_due_refresh`), and a daily rebuild rewrites every row."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.care.models.contacts import PlanKind
from care365.registry.models import Child


class PlanDue(models.Model):
    """One planned kind of one active child in the registry (`selectors.plans.plan_status`):
    only the kinds the child's plan holds have a row, and a child who left has none."""

    child = models.ForeignKey(
        Child,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint below leads with it
        verbose_name=_("child"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PlanKind.choices)
    # A copy of the child's village (as `RiskScore.village`), so that an area's due list is read
    # from this table's index (village, due on) rather than by joining the children. Written with
    # the row, and rewritten in the transaction that moves the child.
    village = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the index below leads with it
        verbose_name=_("village"),
    )
    due_on = models.DateField(_("due on"))
    last_on = models.DateField(_("last"), null=True, blank=True)
    interval_days = models.PositiveSmallIntegerField(_("interval (days)"), null=True, blank=True)
    tightened = models.BooleanField(_("tightened for the risk list"), default=False)

    class Meta:
        verbose_name = _("planned care due")
        verbose_name_plural = _("planned care due")
        constraints = [
            models.UniqueConstraint(fields=["child", "kind"], name="plan_due_child_kind_uniq"),
        ]
        indexes = [
            # An area's list: its villages' rows in due order, the child last as in the lists'
            # order, so that a director's village reads its first page straight off the index
            # (without the child, PostgreSQL walked the county's rows by day instead: 136 ms
            # against 0.8 for a village of 28,000 rows with nothing due).
            models.Index(
                fields=["village", "due_on", "kind", "child"], name="plan_due_village_order_idx"
            ),
            # A county's list: every row in due order, the scope checked row by row.
            models.Index(fields=["due_on", "kind", "child"], name="plan_due_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of child #{self.child_id} due {self.due_on}"
