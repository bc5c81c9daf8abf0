"""Health education's topics, and the volunteers' study help and interests: a learning goal per
child with its dated progress notes, and the interest activities the child takes part in over
time (music, dance, art ...). Written by the child's volunteer or the registry's keepers of the
child's area; read by the child's team (`care.access.sees_learning`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.carers.models import Carer
from care365.registry.models import Child, Interest

GOAL_MAX = 500
NOTE_MAX = 2000
WHAT_MAX = 500


class HealthTopic(models.TextChoices):
    """What a health education session (健康教育) teaches."""

    HYGIENE = "hygiene", _("hygiene and hand washing")
    NUTRITION = "nutrition", _("nutrition")
    MYOPIA = "myopia", _("myopia prevention")
    ORAL_HEALTH = "oral_health", _("oral health")
    DROWNING = "drowning", _("drowning prevention")
    MENTAL_HEALTH = "mental_health", _("mental health")
    PUBERTY = "puberty", _("puberty")
    INFECTIOUS_DISEASE = "infectious", _("infectious disease")
    FIRST_AID = "first_aid", _("first aid")
    OTHER = "other", _("other topic")


class Subject(models.TextChoices):
    """What a learning goal is about (学业辅导)."""

    CHINESE = "chinese", _("Chinese")
    MATHS = "maths", _("maths")
    ENGLISH = "english", _("English")
    SCIENCE = "science", _("science")
    READING = "reading", _("reading")
    HOMEWORK = "homework", _("homework habits")
    OTHER = "other", _("other subject")


class LearningGoal(models.Model):
    """One learning goal of a child: a subject, what the child aims at, since when, and whether
    it is still being worked on, was achieved or was dropped (and on which day)."""

    class State(models.TextChoices):
        ACTIVE = "active", _("working on it")
        ACHIEVED = "achieved", _("achieved")
        DROPPED = "dropped", _("dropped")

    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="learning_goals", verbose_name=_("child")
    )
    subject = models.CharField(_("subject"), max_length=10, choices=Subject.choices)
    goal = models.CharField(_("goal"), max_length=GOAL_MAX)
    started_on = models.DateField(_("started on"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    ended_on = models.DateField(_("achieved or dropped on"), null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("set by"),
    )
    carer = models.ForeignKey(
        Carer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="learning_goals",
        verbose_name=_("volunteer"),
    )
    created_at = models.DateTimeField(_("set at"), auto_now_add=True)

    class Meta:
        verbose_name = _("learning goal")
        verbose_name_plural = _("learning goals")
        ordering = ["-started_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["active", "achieved", "dropped"]),
                name="learning_goal_state_known",
            ),
            models.CheckConstraint(
                condition=models.Q(state="active", ended_on__isnull=True)
                | (~models.Q(state="active") & models.Q(ended_on__isnull=False)),
                name="learning_goal_ended_with_state",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="learning_goal_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["child", "state"], name="learning_goal_child_idx")]

    def __str__(self) -> str:
        return f"Learning goal #{self.pk} of child #{self.child_id}"


class LearningNote(models.Model):
    """A dated progress note on a learning goal."""

    goal = models.ForeignKey(
        LearningGoal, on_delete=models.PROTECT, related_name="notes", verbose_name=_("goal")
    )
    noted_on = models.DateField(_("day"))
    note = models.TextField(_("progress"), max_length=NOTE_MAX)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        ordering = ["-noted_on", "-pk"]
        indexes = [models.Index(fields=["goal", "noted_on"], name="learning_note_goal_idx")]

    def __str__(self) -> str:
        return f"Progress note #{self.pk} on goal #{self.goal_id}"


class InterestActivity(models.Model):
    """Something the child did for one of their interests (兴趣培养), on a day."""

    child = models.ForeignKey(
        Child,
        on_delete=models.PROTECT,
        related_name="interest_activities",
        verbose_name=_("child"),
    )
    interest = models.CharField(_("interest"), max_length=12, choices=Interest.choices)
    done_on = models.DateField(_("day"))
    what = models.CharField(_("what was done"), max_length=WHAT_MAX)
    note = models.TextField(_("note"), max_length=NOTE_MAX, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    carer = models.ForeignKey(
        Carer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interest_activities",
        verbose_name=_("volunteer"),
    )
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("interest activity")
        verbose_name_plural = _("interest activities")
        ordering = ["-done_on", "-pk"]
        indexes = [models.Index(fields=["child", "done_on"], name="interest_child_day_idx")]

    def __str__(self) -> str:
        return f"Interest activity #{self.pk} of child #{self.child_id}"
