"""Open mandatory reporting (强制报告, Minors Protection Law art. 11): reports made on the public
page by anyone who finds a child harmed or in danger, the registration tasks a report of a child
the registry does not know opens, and the attempts the page's rate limit counts.

A report's reporter is protected: their name and phone are encrypted at rest and shown only to
the county's administrators (docs/network.md). What the reporter says about the child is
encrypted too; the child is named nowhere but on the report's page and in its alert's note.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.carers.models import Organisation, ServiceKind
from care365.core.fields import EncryptedTextField, PhoneHashField
from care365.protection.models import Alert, Kind
from care365.registry.models import Child, Grade

NAME_MAX = 50
WHERE_MAX = 200
SEEN_MAX = 2000


class ReporterRole(models.TextChoices):
    """Who the reporter is (the 2020 opinion names schools, hospitals and village committees
    among those who must report; anyone else may)."""

    TEACHER = "teacher", _("teacher")
    DOCTOR = "doctor", _("doctor or nurse")
    VILLAGE_COMMITTEE = "village_committee", _("village or residents' committee")
    NEIGHBOUR = "neighbour", _("neighbour")
    OTHER = "other", _("other")


class Situation(models.TextChoices):
    """The nine situations of the 2020 opinion on mandatory reporting (DOMAIN.md)."""

    PRIVATE_INJURY = "private_injury", _("Abnormal injury to the genitals or private parts")
    GIRL_UNDER_14 = (
        "girl_under_14",
        _("A girl under 14 sexually assaulted (or suspected), pregnant or miscarrying"),
    )
    GIRL_14_PLUS = (
        "girl_14_plus",
        _("A girl of 14 or over pregnant or miscarrying, suspected from sexual assault"),
    )
    ABUSE_INJURIES = (
        "abuse_injuries",
        _(
            "Many injuries, severe malnutrition or impaired consciousness, suggesting domestic "
            "violence, bullying, abuse, beating or drugging"
        ),
    )
    HARM_DISABILITY_DEATH = (
        "harm_disability_death",
        _("Disabled or dead from suicide, self-harm, work injury, poisoning, drugging or beating"),
    )
    ABANDONED = "abandoned", _("Abandoned, or long left unattended")
    MISSING = "missing", _("Of unknown origin, missing, trafficked or bought")
    BEGGING = "begging", _("Made to beg by others")
    OTHER_HARM = (
        "other_harm",
        _("Other serious harm to body or mind, or facing unlawful harm now"),
    )


# The kind of alert each situation raises (protection.models.Kind): what the officer's page,
# list and messages say it is.
ALERT_KIND: dict[str, str] = {
    Situation.PRIVATE_INJURY: Kind.SUSPECTED_ABUSE,
    Situation.GIRL_UNDER_14: Kind.SUSPECTED_ABUSE,
    Situation.GIRL_14_PLUS: Kind.SUSPECTED_ABUSE,
    Situation.ABUSE_INJURIES: Kind.SUSPECTED_ABUSE,
    Situation.HARM_DISABILITY_DEATH: Kind.SELF_HARM,
    Situation.ABANDONED: Kind.ABANDONMENT,
    Situation.MISSING: Kind.MISSING,
    Situation.BEGGING: Kind.DANGER,
    Situation.OTHER_HARM: Kind.DANGER,
}


class MandatoryReport(models.Model):
    """One report from the public page. It raised `alert` (the police covering the village are
    told at once, through the county's escalation) in the transaction that wrote it; `child` is
    the registered child it was matched to, if exactly one matched.

    `receipt` is the reporter's number for looking up the status (with their phone): random,
    never sequential, so one receipt tells nothing of another."""

    receipt = models.CharField(_("receipt number"), max_length=12, unique=True)
    county = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    village = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    # The reporter: encrypted, for the county's administrators only.
    reporter_name = EncryptedTextField(_("reporter's name"), max_length=NAME_MAX)
    reporter_phone = EncryptedTextField(_("reporter's phone"), max_length=20)
    reporter_phone_hash = PhoneHashField(source="reporter_phone")
    reporter_role = models.CharField(
        _("reporter is a"), max_length=20, choices=ReporterRole.choices
    )
    # The child as the reporter knows them.
    child_name = EncryptedTextField(_("child's name"), max_length=NAME_MAX, blank=True)
    child_age = models.PositiveSmallIntegerField(
        _("child's approximate age"), null=True, blank=True
    )
    child_where = EncryptedTextField(_("where the child is"), max_length=WHERE_MAX, blank=True)
    situation = models.CharField(_("situation"), max_length=24, choices=Situation.choices)
    what_seen = EncryptedTextField(_("what the reporter saw"), max_length=SEEN_MAX)
    child = models.ForeignKey(
        Child,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered child"),
    )
    alert = models.OneToOneField(
        Alert, on_delete=models.PROTECT, related_name="+", verbose_name=_("alert")
    )
    created_at = models.DateTimeField(_("reported at"))

    class Meta:
        verbose_name = _("mandatory report")
        verbose_name_plural = _("mandatory reports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["county", "created_at"], name="report_county_idx"),
            models.Index(fields=["village", "created_at"], name="report_village_idx"),
        ]

    def __str__(self) -> str:
        return f"Mandatory report #{self.pk}"


class RegistrationTask(models.Model):
    """A report of a child the registry does not know opens a task for the village's children's
    director: find the child, and register them (or record why not). `kind` says whether no
    registered child matched (register) or several might be the one (identify)."""

    class Kind(models.TextChoices):
        REGISTER = "register", _("register the reported child")
        IDENTIFY = "identify", _("find which registered child was reported")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")

    report = models.OneToOneField(
        MandatoryReport,
        on_delete=models.CASCADE,
        related_name="registration_task",
        verbose_name=_("report"),
    )
    village = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registration_tasks",
        verbose_name=_("assigned to"),
    )
    state = models.CharField(_("state"), max_length=6, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(_("opened at"))
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("registration task")
        verbose_name_plural = _("registration tasks")
        ordering = ["state", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="open", done_at__isnull=True)
                | models.Q(state="done", done_at__isnull=False),
                name="registration_task_done_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["village", "state"], name="registration_task_village_idx"),
        ]

    def __str__(self) -> str:
        return f"Registration task #{self.pk} ({self.state})"


class ReportAttempt(models.Model):
    """One submission (or status look-up) of the public pages, for their rate limit: by the
    caller's address and the phone given, kept as keyed hashes for an hour. The count lives in
    the database, so every app process shares it (Django's cache here is per process)."""

    class Kind(models.TextChoices):
        REPORT = "report", _("report")
        LOOKUP = "lookup", _("status look-up")

    # `ip_key` and `phone_key` are keyed hashes under the secret key (`services.throttle_key`),
    # not crypto's hash key: they live an hour, and a new secret key simply starts the count
    # again, so `care365 rotate_keys` has nothing to recompute here.

    kind = models.CharField(max_length=6, choices=Kind.choices)
    at = models.DateTimeField(db_index=True)
    ip_key = models.CharField(max_length=64)
    phone_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("public page attempt")
        verbose_name_plural = _("public page attempts")
        indexes = [
            models.Index(fields=["kind", "ip_key", "at"], name="report_attempt_ip_idx"),
            models.Index(fields=["kind", "phone_key", "at"], name="report_attempt_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} attempt #{self.pk}"


REASON_MAX = 1000


class Referral(models.Model):
    """A child referred (转介) to a service of an organisation of the county's network: sent,
    then accepted or declined (with a reason), then done (what was done and the outcome).

    The organisation's staff record its answer (or the county's administrators on its behalf);
    they see only what the referral carries (docs/network.md). What the referral says about the
    child is encrypted at rest, like the rest of a child's record."""

    class State(models.TextChoices):
        SENT = "sent", _("sent")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        DONE = "done", _("done")

    # Still waiting on the organisation: these count as overdue once past their due date.
    OPEN_STATES = (State.SENT, State.ACCEPTED)

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="referrals", verbose_name=_("child")
    )
    # A copy of the child's village, moved with the child (`referral_village_sync`, the
    # registry's `on_child_moved`; a merge of villages moves it like every reference to a
    # village): an area's lists read their referrals by it, not by joining every child.
    village = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("organisation"),
    )
    service = models.CharField(_("service"), max_length=16, choices=ServiceKind.choices)
    reason = EncryptedTextField(_("reason for the referral"), max_length=REASON_MAX)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.SENT)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="referrals_made",
        verbose_name=_("referred by"),
    )
    # Where the organisation reaches the referrer about this referral (and the family through
    # them): users have no phone of their own in Care365. Encrypted at rest like every phone.
    referrer_phone = EncryptedTextField(_("referrer's phone"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("referred at"))
    due_on = models.DateField(_("due on"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answer recorded by"),
    )
    decline_reason = EncryptedTextField(_("why declined"), max_length=REASON_MAX, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("outcome recorded by"),
    )
    what_done = EncryptedTextField(_("what was done"), max_length=REASON_MAX, blank=True)
    outcome = EncryptedTextField(_("outcome"), max_length=REASON_MAX, blank=True)
    # The day the referrer was reminded it is overdue (once: the daily job is idempotent).
    reminded_on = models.DateField(_("reminded on"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "due_on"], name="referral_state_due_idx"),
            models.Index(fields=["village", "-created_at"], name="referral_village_idx"),
            # The newest first: a county's list reads its first page from here.
            models.Index(fields=["-created_at", "-id"], name="referral_created_idx"),
            models.Index(fields=["child", "created_at"], name="referral_child_idx"),
        ]

    def __str__(self) -> str:
        return f"referral #{self.pk}"


PLACE_MAX = 200
PERSON_MAX = 50
ROLE_TEXT_MAX = 100


class CaseConference(models.Model):
    """A joint case conference (联席会议) about a high-risk child: planned, then held (what was
    discussed and decided), then closed once every action is done.

    A child on the county's risk list is convened as such; any other child needs the convener's
    reason (`reason`), so a conference is never a way round the list (docs/network.md). What
    the conference says about the child is encrypted at rest, like a referral's text."""

    class State(models.TextChoices):
        PLANNED = "planned", _("planned")
        HELD = "held", _("held")
        CLOSED = "closed", _("closed")

    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("in person")
        PHONE = "phone", _("by phone")
        VIDEO = "video", _("by video")

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="conferences", verbose_name=_("child")
    )
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=PLACE_MAX, blank=True)
    format = models.CharField(
        _("meeting format"), max_length=10, choices=Format.choices, default=Format.IN_PERSON
    )
    # Whether the child was on the risk list when the conference was convened; if not, `reason`
    # says why it was convened all the same.
    on_risk_list = models.BooleanField(_("on the risk list when convened"), default=False)
    reason = EncryptedTextField(_("why convened"), max_length=REASON_MAX, blank=True)
    summary = EncryptedTextField(_("what was discussed"), max_length=REASON_MAX * 4, blank=True)
    decisions = EncryptedTextField(_("what was decided"), max_length=REASON_MAX * 4, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PLANNED)
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="conferences_convened",
        verbose_name=_("convened by"),
    )
    created_at = models.DateTimeField(_("convened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case conference")
        verbose_name_plural = _("case conferences")
        ordering = ["-held_on", "-pk"]
        indexes = [
            models.Index(fields=["child", "held_on"], name="conference_child_idx"),
            models.Index(fields=["state", "held_on"], name="conference_state_idx"),
        ]

    def __str__(self) -> str:
        return f"case conference #{self.pk}"


class ConferenceAttendee(models.Model):
    """Someone at the conference: a user of the county, or a person named with their
    organisation (a teacher, the school's head, a social worker without an account)."""

    conference = models.ForeignKey(
        CaseConference,
        on_delete=models.CASCADE,
        related_name="attendees",
        verbose_name=_("case conference"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=PERSON_MAX, blank=True)
    role = models.CharField(_("role at the conference"), max_length=ROLE_TEXT_MAX, blank=True)

    class Meta:
        verbose_name = _("conference attendee")
        verbose_name_plural = _("conference attendees")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(name=""),
                name="conference_attendee_named",
            ),
        ]

    def __str__(self) -> str:
        return f"attendee #{self.pk}"


class ConferenceAction(models.Model):
    """An action the conference decided: what, who owns it (a user of the county), by when;
    followed like a task until its owner (or a convener) marks it done with a note. Overdue
    open actions are reminded to their owner once a day (`reminded_on`)."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")

    conference = models.ForeignKey(
        CaseConference,
        on_delete=models.CASCADE,
        related_name="actions",
        verbose_name=_("case conference"),
    )
    what = EncryptedTextField(_("what to do"), max_length=REASON_MAX)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="conference_actions",
        verbose_name=_("owner"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    due_on = models.DateField(_("due on"))
    state = models.CharField(_("state"), max_length=6, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(_("added at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("added by"),
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    note = EncryptedTextField(_("note"), max_length=REASON_MAX, blank=True)
    # The last day the owner was reminded it is overdue (once a day: the job is idempotent).
    reminded_on = models.DateField(_("reminded on"), null=True, blank=True)

    class Meta:
        verbose_name = _("conference action")
        verbose_name_plural = _("conference actions")
        ordering = ["state", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="open", done_at__isnull=True)
                | models.Q(state="done", done_at__isnull=False),
                name="conference_action_done_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_on"], name="conference_action_due_idx"),
            models.Index(fields=["owner", "state"], name="conference_action_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"conference action #{self.pk} ({self.state})"


# Schools and attendance (控辍保学; docs/network.md): which registered child is at which school,
# the absences its teachers record, the crossings of the county's absence threshold, and the
# drop-outs followed with the county's education bureau until the child is back in school.
NOTE_MAX = 500
CLASS_MAX = 20


class Enrolment(models.Model):
    """A registered child at a school (an organisation of kind school) from `since`, until
    `until` with why it ended. A child has at most one open enrolment. Kept by the registry's
    keepers of the child's area; the school's teachers see the children it holds."""

    class End(models.TextChoices):
        MOVED = "moved", _("moved to another school")
        GRADUATED = "graduated", _("finished at this school")
        DROPPED_OUT = "dropped_out", _("dropped out")
        OTHER = "other", _("other")

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("child")
    )
    school = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="enrolments",
        limit_choices_to={"kind": "school"},
        verbose_name=_("school"),
    )
    grade = models.CharField(_("grade"), max_length=8, choices=Grade.choices)
    class_name = models.CharField(_("class"), max_length=CLASS_MAX, blank=True)
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=12, choices=End.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-since", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(until__isnull=True),
                name="enrolment_one_open_per_child",
            ),
            models.CheckConstraint(
                condition=models.Q(until__isnull=True, end_reason="")
                | models.Q(until__isnull=False, until__gte=models.F("since"))
                & ~models.Q(end_reason=""),
                name="enrolment_end_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["school", "until"], name="enrolment_school_idx"),
        ]

    def __str__(self) -> str:
        return f"enrolment #{self.pk}"


class AbsenceReason(models.TextChoices):
    ILLNESS = "illness", _("illness")
    FAMILY = "family", _("family matters")
    UNEXPLAINED = "unexplained", _("unexplained")
    OTHER = "other", _("other")


class Absence(models.Model):
    """A day a child enrolled at `school` was absent, recorded by a teacher (or the registry's
    keepers), with the reason given. One row per child and day."""

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="school_absences", verbose_name=_("child")
    )
    school = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    day = models.DateField(_("day"))
    reason = models.CharField(_("reason"), max_length=12, choices=AbsenceReason.choices)
    note = EncryptedTextField(_("note"), max_length=NOTE_MAX, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-day", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["child", "day"], name="absence_child_day_uniq"),
        ]
        indexes = [
            models.Index(fields=["school", "day"], name="absence_school_day_idx"),
        ]

    def __str__(self) -> str:
        return f"absence #{self.pk}"


class AttendanceConcern(models.Model):
    """A child's unexplained absences crossed the county's threshold (`CareSettings.
    school_absence_days` within `services.schools.ABSENCE_WINDOW_DAYS`): it opened a task for the
    village's children's director and adds a reason to the child's risk score while it is
    open. It closes when the count falls back under the threshold; a later crossing opens a new
    one. At most one open per child, so a crossing opens exactly one task."""

    child = models.ForeignKey(
        Child,
        on_delete=models.CASCADE,
        related_name="attendance_concerns",
        verbose_name=_("child"),
    )
    school = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    opened_on = models.DateField(_("opened on"))
    absences = models.PositiveSmallIntegerField(_("unexplained absences when opened"))
    task = models.OneToOneField(
        "care.CareTask",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("task"),
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("attendance concern")
        verbose_name_plural = _("attendance concerns")
        ordering = ["-opened_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(closed_on__isnull=True),
                name="attendance_concern_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"attendance concern #{self.pk}"


class DropOut(models.Model):
    """A child who dropped out of school (辍学): recorded by a teacher of the school or the
    registry's keepers; it ends the enrolment and refers the child to the county's education
    bureau (service "school re-entry"). Followed until the child is back in school (a new
    enrolment: "returned") or an outcome is recorded ("closed")."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        RETURNED = "returned", _("back in school")
        CLOSED = "closed", _("closed with an outcome")

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="drop_outs", verbose_name=_("child")
    )
    school = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    left_on = models.DateField(_("left school on"))
    note = EncryptedTextField(_("note"), max_length=NOTE_MAX, blank=True)
    referral = models.OneToOneField(
        Referral,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="drop_out",
        verbose_name=_("referral to the education bureau"),
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    outcome = EncryptedTextField(_("outcome"), max_length=REASON_MAX, blank=True)

    class Meta:
        verbose_name = _("drop-out")
        verbose_name_plural = _("drop-outs")
        ordering = ["-left_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(state="open"),
                name="drop_out_one_open_per_child",
            ),
            models.CheckConstraint(
                condition=models.Q(state="open", closed_at__isnull=True)
                | (~models.Q(state="open") & models.Q(closed_at__isnull=False)),
                name="drop_out_closed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "left_on"], name="drop_out_state_idx"),
        ]

    def __str__(self) -> str:
        return f"drop-out #{self.pk} ({self.state})"
