"""Users, their role and scope, API tokens, and the log of every read of a child's record."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.carers.models import Carer, Organisation
from care365.core.fields import EncryptedTextField
from care365.core.models import ChainedEntry
from care365.registry.models import Child


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", _("county administrator")
    SUPERVISOR = "supervisor", _("township supervisor")
    DIRECTOR = "director", _("village children's director")
    POLICE = "police", _("police officer")
    DOCTOR = "doctor", _("doctor")
    VOLUNTEER = "volunteer", _("volunteer")
    # Staff of the levels above the county: figures only, never a child (DESIGN.md).
    PROVINCE_OFFICIAL = "province", _("province official")
    PREFECTURE_OFFICIAL = "prefecture", _("prefecture official")
    # People of the county's network (docs/network.md): a teacher sees the registered children of
    # their school (identity and attendance); organisation staff see what their organisation's
    # referrals carry. Both are tied to an organisation, not to an area or a carer record.
    TEACHER = "teacher", _("teacher")
    ORG_STAFF = "org_staff", _("organisation staff")


# The level of area each area-scoped role is tied to.
ROLE_AREA_LEVEL: dict[str, str] = {
    Role.PROVINCE_OFFICIAL: Area.Level.PROVINCE,
    Role.PREFECTURE_OFFICIAL: Area.Level.PREFECTURE,
    Role.COUNTY_ADMIN: Area.Level.COUNTY,
    Role.SUPERVISOR: Area.Level.TOWNSHIP,
    Role.DIRECTOR: Area.Level.VILLAGE,
}
CARER_ROLES = frozenset({Role.POLICE, Role.DOCTOR, Role.VOLUNTEER})
REGISTRY_ROLES = frozenset({Role.COUNTY_ADMIN, Role.SUPERVISOR, Role.DIRECTOR})
# Province and prefecture officials: an area above the county, figures of the counties below it,
# no child's record anywhere (`children_in_scope` is empty for them).
FIGURES_ROLES = frozenset({Role.PROVINCE_OFFICIAL, Role.PREFECTURE_OFFICIAL})
AREA_ROLES = REGISTRY_ROLES | FIGURES_ROLES
ORGANISATION_ROLES = frozenset({Role.TEACHER, Role.ORG_STAFF})


class User(AbstractUser):
    # Where alerts and reminders are emailed: personal data, encrypted at rest like children's
    # phones (docs/privacy.md). Nothing looks a user up by email (no password reset by email).
    email = EncryptedTextField(
        _("email address"), max_length=254, blank=True, validators=[validate_email]
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("area of responsibility"),
    )
    carer = models.OneToOneField(
        Carer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="user",
        verbose_name=_("carer record"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("organisation"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="")
                | models.Q(
                    role__in=sorted(AREA_ROLES),
                    area__isnull=False,
                    carer__isnull=True,
                    organisation__isnull=True,
                )
                | models.Q(
                    role__in=sorted(CARER_ROLES), carer__isnull=False, organisation__isnull=True
                )
                | models.Q(
                    role__in=sorted(ORGANISATION_ROLES),
                    organisation__isnull=False,
                    area__isnull=True,
                    carer__isnull=True,
                ),
                name="user_role_has_scope",
            ),
        ]

    @property
    def personal_name(self) -> str:
        """The person's name: the name on their carer record, else their own name (family name
        first when it is written in Chinese); "" when Care365 has none."""
        if self.carer_id is not None and self.carer is not None and self.carer.name:
            return self.carer.name
        family, given = self.last_name.strip(), self.first_name.strip()
        if (family + given).isascii():
            return f"{given} {family}".strip()
        return family + given

    @property
    def display_name(self) -> str:
        """How pages name the person: `personal_name`, else their role and area ("township
        supervisor (鹤溪街道)"). Never the username: that is a sign-in, not a name. Lists load
        `carer` and `area` with the user."""
        if name := self.personal_name:
            return name
        if self.role and self.area_id is not None and self.area is not None:
            return _("%(role)s (%(area)s)") % {
                "role": self.get_role_display(),
                "area": self.area.name,
            }
        if self.role and self.organisation_id is not None and self.organisation is not None:
            return _("%(role)s (%(area)s)") % {
                "role": self.get_role_display(),
                "area": self.organisation.name,
            }
        if self.role:
            return str(self.get_role_display())
        return self.username

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        if self.role in AREA_ROLES:
            want = ROLE_AREA_LEVEL[self.role]
            if self.area is None or self.area.level != want:
                raise ValidationError(
                    {
                        "area": _("This role needs an area of level %(level)s.")
                        % {"level": Area.Level(want).label}
                    }
                )
            if self.carer_id is not None:
                raise ValidationError({"carer": _("This role has no carer record.")})
        if self.role in CARER_ROLES and (self.carer is None or self.carer.role != self.role):
            raise ValidationError({"carer": _("Link a carer record of the same role.")})
        if self.role in ORGANISATION_ROLES:
            organisation = self.organisation
            if organisation is None:
                raise ValidationError({"organisation": _("Choose the person's organisation.")})
            if self.role == Role.TEACHER and organisation.kind != Organisation.Kind.SCHOOL:
                raise ValidationError({"organisation": _("A teacher's organisation is a school.")})
            if self.role == Role.ORG_STAFF and organisation.kind in Organisation.ROLE:
                raise ValidationError(
                    {
                        "organisation": _(
                            "Police stations, health centres, clinics and volunteer groups "
                            "sign in as carers, not as organisation staff."
                        )
                    }
                )


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once.

    `prefix` (its first characters) and `label` let its owner tell tokens apart in the list;
    neither opens anything. A revoked token keeps its row (who revoked it, when, why) and stops
    working at once. `password_mark` is a keyed hash of the owner's password hash when the token
    was issued: a password changed by any route (the admin, `changepassword`) no longer matches,
    and the token is revoked the first time it is used again."""

    class Revoked(models.TextChoices):
        USER = "user", _("revoked by its owner")
        ADMIN = "admin", _("revoked by a county administrator")
        SIGN_OUT = "sign_out", _("signed out")
        PASSWORD = "password", _("password changed")
        TWO_STEP = "two_step", _("two-step sign-in changed")
        LOCKOUT = "lockout", _("account locked after failed sign-ins")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("starts with"), max_length=8, blank=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    password_mark = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoked_why = models.CharField(
        _("why revoked"), max_length=10, choices=Revoked.choices, blank=True
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_revoked_idx")]

    def __str__(self) -> str:
        return f"API token #{self.pk} of {self.user_id}"


class AccessPurpose(models.TextChoices):
    VIEW = "view", _("view the record")
    EDIT = "edit", _("edit the record")
    EXIT = "exit", _("exit from the registry")
    REVEAL_ID = "reveal_id", _("reveal the full ID number")
    EXPORT = "export", _("export")
    DUPLICATE = "duplicate", _("resolve a possible duplicate")
    BREAK_GLASS = "break_glass", _("emergency access outside one's scope")
    PROBE = "probe", _("registration with an ID number already on record")
    CONFIRM_ID = "confirm_id", _("confirm an ID number")
    ID_SEARCH = "id_search", _("found by a search by ID number")


class AccessOutcome(models.TextChoices):
    """What came of an access: the record was shown (or changed), or the user was refused."""

    ALLOWED = "allowed", _("allowed")
    REFUSED = "refused", _("refused")


class AccessLog(ChainedEntry):
    """One row per read of one child's record: who, which child, when, why, through which route.

    Append-only and hash-chained like the audit trail (core/ledger.py)."""

    CHAIN = "access"

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="access_log", verbose_name=_("user")
    )
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="access_log", verbose_name=_("child")
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=AccessPurpose.choices)
    route = models.CharField(_("route"), max_length=100, blank=True)
    reason = models.CharField(_("reason given"), max_length=255, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=8, choices=AccessOutcome.choices, default=AccessOutcome.ALLOWED
    )

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["child", "at"], name="accesslog_child_at_idx"),
            models.Index(fields=["user", "at"], name="accesslog_user_at_idx"),
            # The access-log page's purpose and outcome filters, newest first: the few exports
            # or refusals of a county's log are read from these, not found by reading it all.
            models.Index(fields=["purpose", "at"], name="accesslog_purpose_at_idx"),
            models.Index(fields=["outcome", "at"], name="accesslog_outcome_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.purpose} child #{self.child_id}"

    def chain_payload(self) -> dict[str, Any]:
        payload = {
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(),
            "user": self.user_id,
            "child": self.child_id,
            "purpose": self.purpose,
            "route": self.route,
            "reason": self.reason,
        }
        # Only a refusal carries its outcome: entries written before outcomes were kept (all of
        # them reads) hash exactly as they did, and so keep verifying.
        if self.outcome != AccessOutcome.ALLOWED:
            payload["outcome"] = self.outcome
        return payload


class AccessGrant(models.Model):
    """Break-the-glass: a user opened a child outside their scope, giving a reason. The access
    lasts until `expires_at`; the grant is logged and the county administrators are told."""

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="access_grants", verbose_name=_("user")
    )
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="access_grants", verbose_name=_("child")
    )
    reason = models.CharField(_("reason given"), max_length=255)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        indexes = [models.Index(fields=["user", "expires_at"], name="accessgrant_user_exp_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} child #{self.child_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class IdLookup(ChainedEntry):
    """One look-up by a full ID number: a search of the children list or a confirm-id, matched
    or not, refused by the throttle or not (docs/privacy.md, "Look-ups by ID number").

    The number itself is never kept: only its keyed hash (`crypto.lookup_hash`, the hash the
    registry keeps for every child), so an administrator can tell which child was looked for
    without the log holding a number. A look-up that found children is also written to each
    child's access log; this log keeps the ones that found nobody too, for the administrators
    of the user's county. Append-only and hash-chained like the access log."""

    CHAIN = "id_lookup"

    class Kind(models.TextChoices):
        SEARCH = "search", _("search by ID number")
        CONFIRM = "confirm", _("confirm an ID number")
        BREAK_GLASS = "break_glass", _("emergency access by ID number")
        REGISTRATION = "registration", _("registration with an ID number already on record")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="id_lookups", verbose_name=_("user")
    )
    county = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("county of the user"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    number_hash = models.CharField(_("keyed hash of the number"), max_length=64)
    child = models.ForeignKey(
        Child,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("child asked about"),
    )
    matched = models.PositiveIntegerField(_("children matched"), default=0)
    throttled = models.BooleanField(_("refused: too many look-ups"), default=False)
    route = models.CharField(_("route"), max_length=100, blank=True)
    reason = models.CharField(_("reason given"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("look-up by ID number")
        verbose_name_plural = _("look-ups by ID number")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["user", "at"], name="idlookup_user_at_idx"),
            models.Index(fields=["county", "at"], name="idlookup_county_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"

    def chain_payload(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(),
            "user": self.user_id,
            "county": self.county_id,
            "kind": self.kind,
            "number_hash": self.number_hash,
            "child": self.child_id,
            "matched": self.matched,
            "throttled": self.throttled,
            "route": self.route,
            "reason": self.reason,
        }


class ListExport(ChainedEntry):
    """One export of a list (children, carers, due, risk, alerts) as a file: who, when, which
    list, which format, the filters it was made with and how many rows it held
    (docs/privacy.md, "Exports"). One entry per export, not one per child: the rows' children
    are whoever the same filters show on the list's page, which the filters and the time tell.

    Kept by the county of the user who exported, whose administrators read it on the access-log
    page. Append-only and hash-chained like the access log."""

    CHAIN = "list_export"

    class ListName(models.TextChoices):
        CHILDREN = "children", _("children")
        CARERS = "carers", _("carers")
        DUE = "due", _("due and overdue")
        RISK = "risk", _("risk list")
        ALERTS = "alerts", _("alerts")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="list_exports", verbose_name=_("user")
    )
    county = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("county of the user"),
    )
    list_name = models.CharField(_("list"), max_length=16, choices=ListName.choices)
    file_format = models.CharField(_("format"), max_length=8)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    rows = models.PositiveIntegerField(_("rows"))
    route = models.CharField(_("route"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("list export")
        verbose_name_plural = _("list exports")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["county", "at"], name="listexport_county_at_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.list_name}.{self.file_format} at {self.at:%Y-%m-%d %H:%M}"

    def chain_payload(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(),
            "user": self.user_id,
            "county": self.county_id,
            "list": self.list_name,
            "format": self.file_format,
            "filters": {str(k): str(v) for k, v in sorted(self.filters.items())},
            "rows": self.rows,
            "route": self.route,
        }


# Sign-in security (docs/settings.md "Sign-in"): throttling and two-step sign-in. ----------------


class LoginAttempt(models.Model):
    """A sign-in attempt that failed, or is being checked, kept for throttling.

    Rows live in the database so that every app process counts the same attempts. Neither the
    username (people type their password there by mistake) nor the address is kept: only keyed
    hashes of them, and rows older than the throttle's horizon are deleted."""

    at = models.DateTimeField(default=timezone.now)
    user_key = models.CharField(max_length=64)
    ip_key = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("sign-in attempt")
        verbose_name_plural = _("sign-in attempts")
        indexes = [
            models.Index(fields=["user_key", "at"], name="loginattempt_user_at_idx"),
            models.Index(fields=["ip_key", "at"], name="loginattempt_ip_at_idx"),
            models.Index(fields=["at"], name="loginattempt_at_idx"),
        ]

    def __str__(self) -> str:
        return f"sign-in attempt #{self.pk} at {self.at:%Y-%m-%d %H:%M:%S}"


class TotpDevice(models.Model):
    """A user's authenticator app (RFC 6238 time-based codes). The shared secret is encrypted at
    rest; `last_step` is the time step of the last code accepted, so no code works twice."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="totp_device", verbose_name=_("user")
    )
    secret = EncryptedTextField(_("secret"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    last_step = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "not confirmed"
        return f"authenticator of {self.user_id} ({state})"


class RecoveryCode(models.Model):
    """A one-time code for signing in without the authenticator app. Only a keyed hash is kept."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="recovery_codes", verbose_name=_("user")
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recoverycode_unique"),
        ]

    def __str__(self) -> str:
        return f"recovery code #{self.pk} of {self.user_id}"
