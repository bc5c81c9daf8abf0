"""Every contact with a child, logged by whoever made it: a volunteer's visit, an officer's
safety check, a doctor's consultation, a director's home visit, and the parents' weekly call."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.accounts.models import Role
from care365.carers.models import Carer
from care365.registry.models import Child


class ContactKind(models.TextChoices):
    VOLUNTEER_VISIT = "volunteer_visit", _("volunteer's visit")
    SAFETY_CHECK = "safety_check", _("police safety check")
    CONSULTATION = "consultation", _("doctor's consultation")
    HOME_VISIT = "home_visit", _("home visit")
    PARENT_CONTACT = "parent_contact", _("parents' contact with the child")


# Who may log each kind (a carer only for the children paired with them; directors and
# supervisors for the children of their area). The parents' weekly contact is usually reported by
# the director, or by whichever carer helped with the call.
LOGGED_BY: dict[str, frozenset[str]] = {
    ContactKind.VOLUNTEER_VISIT: frozenset({Role.VOLUNTEER}),
    ContactKind.SAFETY_CHECK: frozenset({Role.POLICE}),
    ContactKind.CONSULTATION: frozenset({Role.DOCTOR}),
    ContactKind.HOME_VISIT: frozenset({Role.DIRECTOR, Role.SUPERVISOR}),
    ContactKind.PARENT_CONTACT: frozenset(
        {Role.DIRECTOR, Role.SUPERVISOR, Role.POLICE, Role.DOCTOR, Role.VOLUNTEER}
    ),
}

# Which kinds each role may read (DESIGN.md "Who sees what"): a doctor's consultation is health
# data; a volunteer sees the visit log of volunteers only.
VISIBLE_TO: dict[str, frozenset[str]] = {
    Role.COUNTY_ADMIN: frozenset(ContactKind.values),
    Role.SUPERVISOR: frozenset(ContactKind.values),
    Role.DIRECTOR: frozenset(ContactKind.values),
    Role.DOCTOR: frozenset(ContactKind.values),
    Role.POLICE: frozenset(ContactKind.values) - {ContactKind.CONSULTATION},
    Role.VOLUNTEER: frozenset({ContactKind.VOLUNTEER_VISIT}),
}


class PlanKind(models.TextChoices):
    """What a visit plan expects: four kinds of contact at a county's intervals, and the health
    examination on DOMAIN.md's schedule."""

    VOLUNTEER_VISIT = "volunteer_visit", _("volunteer's visit")
    SAFETY_CHECK = "safety_check", _("police safety check")
    HOME_VISIT = "home_visit", _("home visit")
    PARENT_CONTACT = "parent_contact", _("parents' contact with the child")
    EXAMINATION = "examination", _("health examination")


# The planned kinds that are contacts (the 365 figure counts these).
CONTACT_PLAN_KINDS: tuple[str, ...] = (
    PlanKind.VOLUNTEER_VISIT,
    PlanKind.HOME_VISIT,
    PlanKind.SAFETY_CHECK,
    PlanKind.PARENT_CONTACT,
)


class Activity(models.TextChoices):
    """What a volunteer did with the child."""

    COMPANIONSHIP = "companionship", _("companionship")
    HOMEWORK = "homework", _("homework help")
    MUSIC = "music", _("music")
    DANCE = "dance", _("dance")
    ART = "art", _("art")
    SPORT = "sport", _("sport")
    READING = "reading", _("reading")


class ContactChannel(models.TextChoices):
    """How the parents reached the child (亲情视频 is the video call)."""

    PHONE = "phone", _("phone call")
    VIDEO = "video", _("video call")
    IN_PERSON = "in_person", _("in person (a visit home)")


class WhichParent(models.TextChoices):
    FATHER = "father", _("father")
    MOTHER = "mother", _("mother")
    BOTH = "both", _("both parents")


class Mood(models.IntegerChoices):
    """The five faces, saddest first."""

    VERY_SAD = 1, _("very sad")
    SAD = 2, _("sad")
    NEUTRAL = 3, _("so-so")
    HAPPY = 4, _("happy")
    VERY_HAPPY = 5, _("very happy")


class Contact(models.Model):
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("child")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    occurred_at = models.DateTimeField(_("when"))
    # The local date of `occurred_at`: what plans, due lists and the 365 figure count in.
    occurred_on = models.DateField(_("day"))
    duration_minutes = models.PositiveSmallIntegerField(_("how long (minutes)"))
    what = models.TextField(_("what was done"), blank=True)
    activities = models.JSONField(_("activities"), default=list, blank=True)
    channel = models.CharField(_("how"), max_length=10, choices=ContactChannel.choices, blank=True)
    parent = models.CharField(
        _("which parent"), max_length=8, choices=WhichParent.choices, blank=True
    )
    mood = models.PositiveSmallIntegerField(
        _("the child's mood"), choices=Mood.choices, null=True, blank=True
    )
    follow_up_needed = models.BooleanField(_("follow-up needed"), default=False)
    follow_up_note = models.CharField(_("follow-up"), max_length=500, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("logged by"),
    )
    logged_by_role = models.CharField(_("role of who logged it"), max_length=16)
    carer = models.ForeignKey(
        Carer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("carer"),
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mood__isnull=True) | models.Q(mood__gte=1, mood__lte=5),
                name="contact_mood_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1, duration_minutes__lte=720),
                name="contact_duration_range",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="parent_contact") & ~models.Q(channel="")
                | ~models.Q(kind="parent_contact") & models.Q(channel=""),
                name="contact_channel_for_parents_only",
            ),
        ]
        indexes = [
            models.Index(
                fields=["child", "kind", "occurred_on"], name="contact_child_kind_day_idx"
            ),
            models.Index(fields=["logged_by", "occurred_at"], name="contact_logger_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} child #{self.child_id} {self.occurred_on}"
