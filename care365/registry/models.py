"""The registry of left-behind children and children in difficulty (DOMAIN.md).

Identifying fields (ID number, address, phones) are encrypted at rest; the ID number is also kept
as a keyed hash so it can be looked up and kept unique without decrypting anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.core.fields import EncryptedTextField, PhoneHashField
from care365.registry import names


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class Ethnicity(models.TextChoices):
    HAN = "han", _("Han")
    SHE = "she", _("She")
    ZHUANG = "zhuang", _("Zhuang")
    HUI = "hui", _("Hui")
    MIAO = "miao", _("Miao")
    YI = "yi", _("Yi")
    TUJIA = "tujia", _("Tujia")
    TIBETAN = "tibetan", _("Tibetan")
    UYGHUR = "uyghur", _("Uyghur")
    MONGOL = "mongol", _("Mongol")
    OTHER = "other", _("other")


class Hukou(models.TextChoices):
    RURAL = "rural", _("rural")
    URBAN = "urban", _("urban")


class Grade(models.TextChoices):
    NOT_IN_SCHOOL = "none", _("not in school")
    KINDERGARTEN = "k", _("kindergarten")
    PRIMARY_1 = "p1", _("primary 1")
    PRIMARY_2 = "p2", _("primary 2")
    PRIMARY_3 = "p3", _("primary 3")
    PRIMARY_4 = "p4", _("primary 4")
    PRIMARY_5 = "p5", _("primary 5")
    PRIMARY_6 = "p6", _("primary 6")
    JUNIOR_1 = "j1", _("junior middle 1")
    JUNIOR_2 = "j2", _("junior middle 2")
    JUNIOR_3 = "j3", _("junior middle 3")
    SENIOR_1 = "s1", _("senior middle 1")
    SENIOR_2 = "s2", _("senior middle 2")
    SENIOR_3 = "s3", _("senior middle 3")
    VOCATIONAL = "voc", _("vocational school")
    DROPPED_OUT = "out", _("dropped out")


class Interest(models.TextChoices):
    MUSIC = "music", _("music")
    DANCE = "dance", _("dance")
    ART = "art", _("art")
    SPORT = "sport", _("sport")
    READING = "reading", _("reading")
    SCIENCE = "science", _("science")
    CALLIGRAPHY = "calligraphy", _("calligraphy")
    CRAFTS = "crafts", _("crafts")


class Language(models.TextChoices):
    MANDARIN = "mandarin", _("Mandarin")
    SHE = "she", _("She language")
    WU = "wu", _("Wu dialect")
    OTHER = "other", _("other")


class IncomeSource(models.TextChoices):
    MIGRANT_WORK = "migrant_work", _("migrant work")
    FARMING = "farming", _("farming")
    LOCAL_WORK = "local_work", _("local work or business")
    SUBSISTENCE = "subsistence", _("minimum living allowance (dibao)")
    PENSION = "pension", _("pension")
    RELATIVES = "relatives", _("support from relatives")
    OTHER = "other", _("other")


class ExitReason(models.TextChoices):
    AGED_OUT = "aged_out", _("reached the age limit")
    PARENTS_RETURNED = "parents_returned", _("parents returned")
    MOVED_TO_PARENTS = "moved_to_parents", _("moved to live with the parents")
    MOVED_AWAY = "moved_away", _("moved out of the county")
    REASSESSED = "reassessed", _("no longer meets the criteria")
    DUPLICATE = "duplicate", _("duplicate record merged")
    DIED = "died", _("died")


class Child(models.Model):
    # Keyed look-up hashes and the field each is computed from (core rotate_keys recomputes them).
    KEYED_HASHES: ClassVar[dict[str, str]] = {"id_number_hash": "id_number"}

    name = models.CharField(_("name"), max_length=50)
    # The name's pinyin (registry.names.sort_key), which lists sort by: kept by the registry's
    # services whenever they write the name, and by seeding's bulk writer.
    name_sort = models.CharField(max_length=names.SORT_KEY_LENGTH, blank=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(
        _("ethnicity"), max_length=16, choices=Ethnicity.choices, default=Ethnicity.HAN
    )
    id_number = EncryptedTextField(_("resident ID number"), blank=True)
    # NULL, not "", when there is no ID number: the unique index ignores NULLs.
    id_number_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    hukou = models.CharField(_("hukou"), max_length=8, choices=Hukou.choices, default=Hukou.RURAL)
    village = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="children_registered",
        limit_choices_to={"level": Area.Level.VILLAGE},
        verbose_name=_("village"),
        db_index=False,  # child_village_active_idx begins with it
    )
    address = EncryptedTextField(_("address"), blank=True)
    school = models.CharField(_("school"), max_length=100, blank=True)
    grade = models.CharField(
        _("grade"), max_length=8, choices=Grade.choices, default=Grade.NOT_IN_SCHOOL
    )
    boarding = models.BooleanField(_("boards at school"), default=False)
    health_notes = models.TextField(_("health notes"), blank=True)
    disability_notes = models.TextField(_("disability notes"), blank=True)
    interests = models.JSONField(_("interests"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    income_source = models.CharField(
        _("main family income source"),
        max_length=16,
        choices=IncomeSource.choices,
        default=IncomeSource.MIGRANT_WORK,
    )
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    exited_on = models.DateField(_("exited on"), null=True, blank=True)
    exit_reason = models.CharField(
        _("exit reason"), max_length=20, choices=ExitReason.choices, blank=True
    )
    anonymised_on = models.DateField(_("anonymised on"), null=True, blank=True)
    # A copy of the kinds of the child's open statuses, one bit each (STATUS_BIT), so that a list
    # filtered by status reads this column (from an index) instead of looking up ChildStatus for
    # every child. The open ChildStatus rows are the truth; this copy is kept by the registry's
    # services, which call services.open_statuses_sync in the transaction that writes them.
    open_statuses = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=models.Q(id_number_hash__isnull=False),
                name="child_unique_id_number",
            ),
            models.CheckConstraint(
                condition=models.Q(exited_on__isnull=True, exit_reason="")
                | models.Q(exited_on__isnull=False) & ~models.Q(exit_reason=""),
                name="child_exit_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["village", "exited_on"], name="child_village_active_idx"),
            # The children list (accounts.selectors.child_list): a village's active children come
            # out in the list's order (by the name's pinyin), and a page's ids and the count, with
            # the sex and status filters, are read from the index alone ("id" too, for
            # PostgreSQL's index-only scans; SQLite has the rowid in every index anyway).
            models.Index(
                fields=["village", "exited_on", "name_sort", "sex", "open_statuses", "id"],
                name="child_village_sort_idx",
            ),
            models.Index(fields=["name", "birth_date"], name="child_name_birth_idx"),
            models.Index(fields=["birth_date"], name="child_birth_idx"),
        ]

    def __str__(self) -> str:
        # Deliberately not the name: __str__ ends up in logs, admin history and error pages.
        return f"Child #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.exited_on is None

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def open_status_kinds(self) -> list[StatusKind]:
        """The kinds of the child's open statuses, from the copy on the row (see open_statuses)."""
        return [StatusKind(kind) for kind in status_kinds_of(self.open_statuses)]


class StatusKind(models.TextChoices):
    LEFT_BEHIND = "left_behind", _("left-behind")
    DIFFICULTY_POVERTY = "difficulty_poverty", _("in difficulty: family poverty")
    DIFFICULTY_DISABILITY = "difficulty_disability", _("in difficulty: disability")
    DIFFICULTY_GUARDIANSHIP = "difficulty_guardianship", _("in difficulty: guardianship harm")
    UNSUPPORTED = "unsupported", _("de-facto unsupported")


# Age at which each status ends by itself (DOMAIN.md): 16 for left-behind, 18 for the others.
STATUS_AGE_LIMIT: dict[str, int] = {
    StatusKind.LEFT_BEHIND: 16,
    StatusKind.DIFFICULTY_POVERTY: 18,
    StatusKind.DIFFICULTY_DISABILITY: 18,
    StatusKind.DIFFICULTY_GUARDIANSHIP: 18,
    StatusKind.UNSUPPORTED: 18,
}


# The bit of each kind in Child.open_statuses. Stored in every child's row: a kind keeps its bit
# for good (a new kind takes the next free bit, 32; a removed kind's bit is not reused), and a
# change here needs a data migration that rewrites the column.
STATUS_BIT: dict[str, int] = {
    StatusKind.LEFT_BEHIND: 1,
    StatusKind.DIFFICULTY_POVERTY: 2,
    StatusKind.DIFFICULTY_DISABILITY: 4,
    StatusKind.DIFFICULTY_GUARDIANSHIP: 8,
    StatusKind.UNSUPPORTED: 16,
}


def status_bits(kinds: Iterable[str]) -> int:
    """The open_statuses value of a child whose open statuses are of these kinds."""
    bits = 0
    for kind in kinds:
        bits |= STATUS_BIT[kind]
    return bits


def status_kinds_of(bits: int) -> list[str]:
    """The kinds whose bit is set in an open_statuses value (the inverse of `status_bits`)."""
    return [kind for kind, bit in STATUS_BIT.items() if bits & bit]


def status_bits_with(kind: str) -> list[int]:
    """Every open_statuses value that has this kind's bit: a list filtered by status asks for
    `open_statuses IN (...)`, which the databases read from an index and estimate from their
    statistics of the column (a bitwise test on the column they can do neither with)."""
    bit = STATUS_BIT[kind]
    return [bits for bits in range(2 * max(STATUS_BIT.values())) if bits & bit]


class StatusEndReason(models.TextChoices):
    AGED_OUT = "aged_out", _("reached the age limit")
    PARENT_RETURNED = "parent_returned", _("a parent returned")
    MOVED_TO_PARENTS = "moved_to_parents", _("moved to live with the parents")
    REASSESSED = "reassessed", _("reassessment")
    CHILD_EXITED = "child_exited", _("child left the registry")


class ChildStatus(models.Model):
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="statuses", verbose_name=_("child")
    )
    kind = models.CharField(_("status"), max_length=32, choices=StatusKind.choices)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(
        _("end reason"), max_length=20, choices=StatusEndReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("status")
        verbose_name_plural = _("statuses")
        constraints = [
            models.UniqueConstraint(
                fields=["child", "kind"],
                condition=models.Q(ended_on__isnull=True),
                name="status_one_open_per_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True, end_reason="")
                | models.Q(ended_on__isnull=False) & ~models.Q(end_reason=""),
                name="status_end_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["kind", "ended_on"], name="status_kind_open_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.started_on}–{self.ended_on or ''})"


class ParentRole(models.TextChoices):
    FATHER = "father", _("father")
    MOTHER = "mother", _("mother")


class ParentSituation(models.TextChoices):
    AWAY_FOR_WORK = "away", _("away for work")
    AT_HOME = "home", _("at home")
    DEAD = "dead", _("dead")
    MISSING = "missing", _("missing")
    IMPRISONED = "prison", _("imprisoned")
    UNABLE_TO_GUARD = "unable", _("unable to guard")


class Parent(models.Model):
    child = models.ForeignKey(
        Child,
        on_delete=models.CASCADE,
        related_name="parents",
        verbose_name=_("child"),
        db_index=False,  # parent_one_per_role begins with it
    )
    role = models.CharField(_("parent"), max_length=8, choices=ParentRole.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)
    situation = models.CharField(_("situation"), max_length=8, choices=ParentSituation.choices)
    work_place = models.CharField(_("where they work"), max_length=100, blank=True)
    away_since = models.DateField(_("away since"), null=True, blank=True)
    unable_reason = models.CharField(_("why unable to guard"), max_length=200, blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)

    class Meta:
        verbose_name = _("parent")
        verbose_name_plural = _("parents")
        constraints = [
            models.UniqueConstraint(fields=["child", "role"], name="parent_one_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} of child #{self.child_id}"


class GuardianRelationship(models.TextChoices):
    GRANDFATHER = "grandfather", _("grandfather")
    GRANDMOTHER = "grandmother", _("grandmother")
    GRANDPARENTS = "grandparents", _("grandparents")
    UNCLE_AUNT = "uncle_aunt", _("uncle or aunt")
    SIBLING = "sibling", _("adult sibling")
    PARENT = "parent", _("parent at home")
    OTHER_RELATIVE = "relative", _("other relative")
    OTHER = "other", _("other")


class Guardian(models.Model):
    """The entrusted carer (被委托人) the parents named when they went away (Minors Protection
    Law arts. 22-23)."""

    child = models.OneToOneField(
        Child, on_delete=models.CASCADE, related_name="guardian", verbose_name=_("child")
    )
    name = models.CharField(_("name"), max_length=50)
    relationship = models.CharField(
        _("relationship"), max_length=16, choices=GuardianRelationship.choices
    )
    phone = EncryptedTextField(_("phone"), blank=True)
    # The phone's keyed hash: an SMS to the county's number finds its sender's children by it.
    phone_hash = PhoneHashField(source="phone")
    suitability_checked_on = models.DateField(_("suitability checked on"), null=True, blank=True)
    parents_notified_village_on = models.DateField(
        _("parents told the village in writing on"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("entrusted carer")
        verbose_name_plural = _("entrusted carers")
        # Equality only (a `db_index=True` on a text field adds a second index for LIKE).
        indexes = [models.Index(fields=["phone_hash"], name="guardian_phone_hash_idx")]

    def __str__(self) -> str:
        return f"Entrusted carer of child #{self.child_id}"


class DuplicateFlag(models.Model):
    """Two records with the same name, birth date and village, for the director to decide."""

    class Resolution(models.TextChoices):
        OPEN = "open", _("open")
        DISTINCT = "distinct", _("confirmed as different children")
        MERGED = "merged", _("merged")

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="duplicate_flags")
    other = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=Resolution.choices, default=Resolution.OPEN
    )
    flagged_at = models.DateTimeField(_("flagged at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["child", "other"], name="duplicate_pair_once"),
        ]

    def __str__(self) -> str:
        return f"Possible duplicate #{self.child_id} ~ #{self.other_id}"


class ConsentPurpose(models.TextChoices):
    REGISTRY = "registry", _("keeping the child's record in the registry")
    VOLUNTEER = "volunteer", _("pairing with a volunteer")
    VOLUNTEER_GROUP = "volunteer_group", _("sharing with a volunteer group")
    HEALTH_SCREENING = "health_screening", _("health and wellbeing screening")


class Consent(models.Model):
    """A guardian's written consent to one purpose (PIPL art. 31), until withdrawn."""

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="consents", verbose_name=_("child")
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    given_on = models.DateField(_("given on"))
    reference = models.CharField(_("reference of the signed paper"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["child", "purpose"],
                condition=models.Q(withdrawn_on__isnull=True),
                name="consent_one_open_per_purpose",
            )
        ]

    def __str__(self) -> str:
        return f"Consent of child #{self.child_id} to {self.purpose}"


class RetentionPolicy(models.Model):
    """How long a county keeps a child's identifying data after the child leaves the registry.

    When the time is up the retention job anonymises the record
    (registry/services/retention.py): what identifies the child or the family is erased; what the
    county's statistics need (sex, birth year, village, statuses, dates of care) stays."""

    county = models.OneToOneField(
        Area,
        on_delete=models.CASCADE,
        related_name="retention_policy",
        limit_choices_to={"level": Area.Level.COUNTY},
        verbose_name=_("county"),
    )
    years_after_exit = models.PositiveSmallIntegerField(
        _("years kept after the child leaves"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")

    def __str__(self) -> str:
        return f"{self.county}: {self.years_after_exit}"


class TransferRequest(models.Model):
    """A child's ID number was typed into a registration (or an edit) in another village: most
    often a child who moved. The request asks the county administrators of the child's county
    to move the record to the requesting village (accepted) or not (declined). The requester
    learns nothing of where the child is registered; one request is open per child and village.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", _("accepted: the child was moved")
        DECLINED = "declined", _("declined")

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="transfer_requests", verbose_name=_("child")
    )
    village = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Area.Level.VILLAGE},
        verbose_name=_("requesting village"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("transfer request")
        verbose_name_plural = _("transfer requests")
        constraints = [
            models.UniqueConstraint(
                fields=["child", "village"],
                condition=models.Q(status="open"),
                name="transfer_one_open_per_village",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", decided_at__isnull=True)
                | ~models.Q(status="open") & models.Q(decided_at__isnull=False),
                name="transfer_decided_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="transfer_status_idx")]

    def __str__(self) -> str:
        return f"Transfer of child #{self.child_id} to area #{self.village_id} ({self.status})"
