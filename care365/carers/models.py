"""The people paired with each child: police officers, doctors and volunteers."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.core.fields import EncryptedTextField


class CarerRole(models.TextChoices):
    POLICE = "police", _("police officer")
    DOCTOR = "doctor", _("doctor")
    VOLUNTEER = "volunteer", _("volunteer")


class ServiceKind(models.TextChoices):
    """What an organisation offers, and what a child is referred to (docs/network.md)."""

    COUNSELLING = "counselling", _("counselling")
    SPECIALIST_CARE = "specialist_care", _("specialist care")
    LEGAL_AID = "legal_aid", _("legal aid")
    FINANCIAL_AID = "financial_aid", _("financial aid")
    SCHOOL_REENTRY = "school_reentry", _("school re-entry")
    OTHER = "other", _("other")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        POLICE_STATION = "station", _("police station")
        HEALTH_CENTRE = "health_centre", _("township health centre")
        VILLAGE_CLINIC = "clinic", _("village clinic")
        VOLUNTEER_GROUP = "volunteer_group", _("volunteer group")
        # The rest of the county's network (docs/network.md): they employ no carer; children are
        # referred to the services they offer.
        SCHOOL = "school", _("school")
        CIVIL_AFFAIRS = "civil_affairs", _("civil affairs office")
        EDUCATION_BUREAU = "education", _("education bureau")
        WOMENS_FEDERATION = "women_federation", _("women's federation")
        YOUTH_LEAGUE = "youth_league", _("youth league")
        COURT = "court", _("court")
        PROCURATORATE = "procuratorate", _("procuratorate")
        SOCIAL_WORK = "social_work", _("social-work agency")
        CHARITY = "charity", _("charity")
        COMPANY = "company", _("donating company")

    # Which carer role each kind of organisation employs.
    ROLE = {
        Kind.POLICE_STATION: CarerRole.POLICE,
        Kind.HEALTH_CENTRE: CarerRole.DOCTOR,
        Kind.VILLAGE_CLINIC: CarerRole.DOCTOR,
        Kind.VOLUNTEER_GROUP: CarerRole.VOLUNTEER,
    }

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("area")
    )
    # Encrypted at rest, like children's phones (docs/privacy.md); max_length bounds the forms.
    phone = EncryptedTextField(_("duty phone"), max_length=20, blank=True)
    # The person a referral goes to, and the services children may be referred to (codes of
    # `ServiceKind`). The organisation serves its area: a village, a township or the county.
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = EncryptedTextField(_("contact phone"), max_length=20, blank=True)
    # Where the outbox emails the organisation about its referrals (docs/network.md).
    contact_email = EncryptedTextField(_("contact email"), max_length=254, blank=True)
    services = models.JSONField(_("services offered"), default=list, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BackgroundCheck(models.TextChoices):
    NOT_DONE = "", _("not done")
    PENDING = "pending", _("pending")
    PASSED = "passed", _("passed")
    FAILED = "failed", _("failed")


class Skill(models.TextChoices):
    """What a carer offers (`Carer.skills`): a police officer's and a doctor's specialities and a
    volunteer's activities, which share their codes with the children's interests."""

    SAFETY = "safety", _("safety")
    FIRST_AID = "first_aid", _("first aid")
    ANTI_BULLYING = "anti_bullying", _("anti-bullying")
    TRAFFIC_SAFETY = "traffic_safety", _("traffic safety")
    HEALTH_EDUCATION = "health_education", _("health education")
    NUTRITION = "nutrition", _("nutrition")
    PSYCHOLOGY = "psychology", _("psychology")
    DENTAL = "dental", _("dental care")
    EYE_CARE = "eye_care", _("eye care")
    TUTORING = "tutoring", _("tutoring")
    COUNSELLING = "counselling", _("counselling")
    # The children's interests (registry.models.Interest), which volunteers share.
    MUSIC = "music", _("music")
    DANCE = "dance", _("dance")
    ART = "art", _("art")
    SPORT = "sport", _("sport")
    READING = "reading", _("reading")
    SCIENCE = "science", _("science")
    CALLIGRAPHY = "calligraphy", _("calligraphy")
    CRAFTS = "crafts", _("crafts")


class Carer(models.Model):
    role = models.CharField(_("role"), max_length=10, choices=CarerRole.choices)
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1, choices=[("M", _("male")), ("F", _("female"))])
    phone = EncryptedTextField(_("phone"), max_length=20, blank=True)  # encrypted at rest
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="carers",
        verbose_name=_("station, health centre, clinic or group"),
    )
    service_areas = models.ManyToManyField(
        Area, related_name="carers_serving", blank=True, verbose_name=_("service area")
    )
    latitude = models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    capacity = models.PositiveIntegerField(
        _("capacity (children)"), validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    skills = models.JSONField(_("skills"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    background_check = models.CharField(
        _("background check"), max_length=8, choices=BackgroundCheck.choices, blank=True
    )
    background_checked_on = models.DateField(_("background checked on"), null=True, blank=True)
    trained_on = models.DateField(_("trained on"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carer")
        verbose_name_plural = _("carers")
        ordering = ["role", "name"]
        indexes = [
            models.Index(fields=["role", "active"], name="carer_role_active_idx"),
            # The figures' count of active carers per role (carers.selectors).
            models.Index(
                fields=["organisation", "role"],
                condition=models.Q(active=True),
                name="carer_org_role_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"
