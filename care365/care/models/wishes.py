"""Children's small wishes (微心愿) that volunteers and donors claim, and care events such as the
Children's Day gifts."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.registry.models import Child


class Wish(models.Model):
    """open → claimed → delivered → confirmed (with the child); an open wish may be withdrawn and
    a claimed one released back to the board. Each step is a conditional update on the state."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        CLAIMED = "claimed", _("claimed")
        DELIVERED = "delivered", _("delivered")
        CONFIRMED = "confirmed", _("confirmed with the child")
        WITHDRAWN = "withdrawn", _("withdrawn")

    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="wishes", verbose_name=_("child")
    )
    what = models.CharField(_("the wish"), max_length=200)
    cost_yuan = models.PositiveIntegerField(
        _("rough cost (yuan)"), validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("posted by"),
    )
    posted_at = models.DateTimeField(_("posted at"))
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wishes_claimed",
        verbose_name=_("claimed by"),
    )
    donor_name = models.CharField(_("donor"), max_length=100, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("delivered by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("small wish")
        verbose_name_plural = _("small wishes")
        ordering = ["-posted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["open", "withdrawn"])
                | models.Q(claimed_at__isnull=False),
                name="wish_claimed_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["delivered", "confirmed"])
                | models.Q(delivered_at__isnull=False),
                name="wish_delivered_has_time",
            ),
        ]
        indexes = [models.Index(fields=["state", "posted_at"], name="wish_state_idx")]

    def __str__(self) -> str:
        return f"Wish #{self.pk} of child #{self.child_id} ({self.state})"


class CareEvent(models.Model):
    """An event for the children, such as the Children's Day (1 June) gifts: who came, what was
    given."""

    class Kind(models.TextChoices):
        CHILDRENS_DAY = "childrens_day", _("Children's Day")
        FESTIVAL = "festival", _("festival")
        OUTING = "outing", _("outing")
        OTHER = "other", _("other")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("county, township or village"),
    )
    children = models.ManyToManyField(
        Child, related_name="care_events", blank=True, verbose_name=_("children who came")
    )
    given = models.TextField(_("what was given"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("care event")
        verbose_name_plural = _("care events")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"Event #{self.pk} on {self.held_on}"
