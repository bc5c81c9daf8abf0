"""Children's small wishes (微心愿) that volunteers and donors claim, and care events such as the
Children's Day gifts."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.carers.models import Organisation
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


# The events whose gifts are planned per child (a Children's Day, a festival); an outing's gifts,
# if any, stay in its free text.
GIFT_EVENT_KINDS = (CareEvent.Kind.CHILDRENS_DAY, CareEvent.Kind.FESTIVAL)
GIFT_WHAT_MAX = 200
GIFT_VALUE_MAX = 5000
GIFT_REASON_MAX = 500


class Gift(models.Model):
    """One child's gift at a Children's Day or a festival: planned (what, its value, the donor
    organisation) → delivered (who, when) → confirmed with the child; or, from planned, not
    delivered with a reason. One gift per child per event. Each step is a conditional update on
    the state, so two people marking the same gift at once cannot both win."""

    class State(models.TextChoices):
        PLANNED = "planned", _("planned")
        DELIVERED = "delivered", _("delivered")
        CONFIRMED = "confirmed", _("confirmed with the child")
        NOT_DELIVERED = "not_delivered", _("not delivered")

    event = models.ForeignKey(
        CareEvent, on_delete=models.PROTECT, related_name="gifts", verbose_name=_("event")
    )
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="gifts", verbose_name=_("child")
    )
    what = models.CharField(_("gift"), max_length=GIFT_WHAT_MAX)
    value_yuan = models.PositiveIntegerField(
        _("value (yuan)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(GIFT_VALUE_MAX)],
    )
    donor = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gifts",
        verbose_name=_("donor"),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PLANNED
    )
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("planned by"),
    )
    planned_at = models.DateTimeField(_("planned at"))
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("delivered by"),
    )
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    reason = models.CharField(_("why not delivered"), max_length=GIFT_REASON_MAX, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        ordering = ["event", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "child"], name="gift_one_per_child"),
            models.CheckConstraint(
                condition=models.Q(state__in=["planned", "not_delivered"])
                | models.Q(delivered_at__isnull=False, delivered_by__isnull=False),
                name="gift_delivered_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="confirmed") | models.Q(confirmed_at__isnull=False),
                name="gift_confirmed_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="not_delivered") | ~models.Q(reason=""),
                name="gift_not_delivered_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(value_yuan__isnull=True)
                | models.Q(value_yuan__gte=1, value_yuan__lte=GIFT_VALUE_MAX),
                name="gift_value_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["donor", "state"], name="gift_donor_idx"),
            models.Index(fields=["child"], name="gift_child_idx"),
        ]

    def __str__(self) -> str:
        return f"Gift #{self.pk} of event #{self.event_id} ({self.state})"
