"""Every write to the registry. Each service is one transaction and writes its audit row in it.

Services validate what the registry must always hold (a valid ID number that agrees with the
record, one record per ID number, statuses that end with a reason) and raise ValidationError keyed
by field, so pages and the API can show each error beside its field in the user's language.
Who may call them is decided before, by the access layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from care365.areas.models import Area
from care365.core import crypto
from care365.core.audit import audit
from care365.registry import idnumber, names
from care365.registry.models import (
    STATUS_AGE_LIMIT,
    STATUS_BIT,
    Child,
    ChildStatus,
    Consent,
    ConsentPurpose,
    DuplicateFlag,
    ExitReason,
    Guardian,
    Parent,
    ParentSituation,
    RetentionPolicy,
    StatusEndReason,
    StatusKind,
    TransferRequest,
)

# Fields a caller may set on a child through child_register / child_update.
CHILD_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "id_number",
    "hukou",
    "village",
    "address",
    "school",
    "grade",
    "boarding",
    "health_notes",
    "disability_notes",
    "interests",
    "languages",
    "income_source",
)
PARENT_FIELDS = ("name", "situation", "work_place", "away_since", "unable_reason", "phone")
GUARDIAN_FIELDS = (
    "name",
    "relationship",
    "phone",
    "suitability_checked_on",
    "parents_notified_village_on",
)

ID_ERRORS = {
    idnumber.IdNumberError.SHAPE: gettext_lazy(
        "An ID number has 17 digits followed by a digit or X."
    ),
    idnumber.IdNumberError.DATE: gettext_lazy(
        "The birth date inside this ID number is not a real date."
    ),
    idnumber.IdNumberError.CHECK: gettext_lazy(
        "The last character does not match: check the number again."
    ),
}


# One answer for an ID number already on record, wherever the record is: it names no village,
# township or county, and says the same whether or not a transfer request was opened.
TAKEN = gettext_lazy(
    "A child with this ID number is already registered. The county administrators are told, "
    "and can move the record to your village if the child moved here."
)
BLANK_NAME = gettext_lazy("Type the name: spaces or invisible characters alone are not a name.")


class IdNumberTaken(ValidationError):  # noqa: N818  # a ValidationError, named for what happened
    """A registration or an edit typed an ID number another record holds. Raised (after the
    service's transaction is rolled back) with that record's id, which is never shown: the
    access layer writes the attempt to that child's access log and opens a transfer request
    (accounts.services.id_number_probes_recorded)."""

    def __init__(self, child_id: int) -> None:
        super().__init__({"id_number": [TAKEN]}, code="duplicate")
        self.child_id = child_id


def _name(value: Any, field: str, *, required: bool) -> str:
    """A name as stored (registry.names.normalise); a required one left blank is refused."""
    name = names.normalise(str(value or ""))
    if required and not name:
        raise ValidationError({field: BLANK_NAME}, code="blank")
    return name


@dataclass
class ChildInput:
    """What a registration carries beyond the child's own fields."""

    child: dict[str, Any]
    statuses: list[str] = field(default_factory=list)
    parents: dict[str, dict[str, Any]] = field(default_factory=dict)  # "father"/"mother" -> data
    guardian: dict[str, Any] | None = None


def _validate_id_number(data: Mapping[str, Any], *, exclude_pk: int | None = None) -> str | None:
    """Normalised ID number, or None if blank; raises ValidationError on any problem."""
    raw = (data.get("id_number") or "").strip()
    if not raw:
        return None
    try:
        parsed = idnumber.parse(raw)
    except idnumber.InvalidIdNumber as exc:
        raise ValidationError({"id_number": ID_ERRORS[exc.reason]}, code=exc.reason) from exc
    errors: dict[str, str] = {}
    if data.get("birth_date") and parsed.birth_date != data["birth_date"]:
        errors["birth_date"] = _("The birth date does not match the ID number.")
    if data.get("sex") and parsed.sex != data["sex"]:
        errors["sex"] = _("The sex does not match the ID number.")
    if errors:
        raise ValidationError(errors)
    taken = Child.objects.filter(id_number_hash=crypto.lookup_hash(parsed.number))
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    holder = taken.values_list("pk", flat=True).first()
    if holder is not None:
        raise IdNumberTaken(holder)
    return parsed.number


def _validate_child(child: Child) -> None:
    errors: dict[str, list[str]] = {}
    try:
        child.full_clean(exclude=["id_number_hash"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if child.village_id and child.village.level != Area.Level.VILLAGE:
        errors.setdefault("village", []).append(_("Choose a village."))
    today = timezone.localdate()
    if child.birth_date and child.birth_date > today:
        errors.setdefault("birth_date", []).append(_("The birth date is in the future."))
    elif child.birth_date and child.age_on(today) >= 18:
        errors.setdefault("birth_date", []).append(_("The registry is for children under 18."))
    if errors:
        raise ValidationError(errors)


def _flag_duplicates(child: Child) -> list[DuplicateFlag]:
    """Flag other active children with the same name, birth date and village."""
    others = Child.objects.filter(
        name=child.name,
        birth_date=child.birth_date,
        village_id=child.village_id,
        exited_on__isnull=True,
    ).exclude(pk=child.pk)
    already = set(DuplicateFlag.objects.filter(child=child).values_list("other_id", flat=True))
    new = [DuplicateFlag(child=child, other=o) for o in others if o.pk not in already]
    return DuplicateFlag.objects.bulk_create(new)


def _save_unique(child: Child) -> None:
    """Save, turning a race on the ID number's unique index into the same clear error."""
    try:
        with transaction.atomic():
            child.save()
    except IntegrityError as exc:
        if "child_unique_id_number" in str(exc) or "id_number_hash" in str(exc):
            holder = (
                Child.objects.filter(id_number_hash=child.id_number_hash)
                .exclude(pk=child.pk)
                .values_list("pk", flat=True)
                .first()
            )
            if holder is not None:
                raise IdNumberTaken(holder) from exc
            raise ValidationError({"id_number": [TAKEN]}, code="duplicate") from exc
        raise


# Children synced per statement: few enough for any database's limit on query parameters.
SYNC_CHUNK = 500


def _open_status_bits() -> Coalesce:
    """The open_statuses a child's open ChildStatus rows add up to, as an SQL expression for an
    UPDATE of Child (a sum of distinct bits: one open status per kind)."""
    bit = Case(
        *(When(kind=kind, then=Value(b)) for kind, b in STATUS_BIT.items()),
        default=Value(0),
        output_field=IntegerField(),
    )
    bits = (
        ChildStatus.objects.filter(child=OuterRef("pk"), ended_on__isnull=True)
        .order_by()
        .values("child")
        .annotate(bits=Sum(bit))
        .values("bits")
    )
    return Coalesce(Subquery(bits), Value(0), output_field=IntegerField())


def open_statuses_sync(child_ids: Iterable[int]) -> None:
    """Recompute Child.open_statuses from the open ChildStatus rows of these children.

    Every writer of ChildStatus calls it after its writes, in the same transaction: two queries
    per SYNC_CHUNK children. The children's rows are locked first (in id order), so that on
    PostgreSQL the update reads every status committed by a writer that held them before: two
    services changing one child's statuses at once both leave the copy right.
    """
    ids = sorted(set(child_ids))
    with transaction.atomic(savepoint=False):  # the caller's transaction, when there is one
        for start in range(0, len(ids), SYNC_CHUNK):
            chunk = ids[start : start + SYNC_CHUNK]
            locked = Child.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
            list(locked.values_list("pk", flat=True))
            Child.objects.filter(pk__in=chunk).update(open_statuses=_open_status_bits())


def _open_statuses_sync_child(child: Child) -> None:
    """open_statuses_sync for one child, and the caller's instance shows the new value."""
    open_statuses_sync([child.pk])
    child.refresh_from_db(fields=["open_statuses"])


@transaction.atomic
def child_register(*, actor: AbstractBaseUser, data: ChildInput) -> Child:
    """Register a new child with their statuses, parents and entrusted carer.

    The ID number must be valid and agree with the birth date and sex; a second record with the
    same number is refused. A record with the same name, birth date and village is accepted but
    flagged for the children's director to confirm or merge. Names are normalised
    (registry.names) before they are saved and compared.

    An ID number already on record raises IdNumberTaken (a ValidationError) once this
    transaction is rolled back.
    """
    values = {k: v for k, v in data.child.items() if k in CHILD_FIELDS}
    values["name"] = _name(values.get("name"), "name", required=True)
    number = _validate_id_number(values)
    child = Child(**values)
    child.id_number = number or ""
    child.id_number_hash = crypto.lookup_hash(number) if number else None
    _validate_child(child)
    _save_unique(child)
    today = timezone.localdate()
    for kind in dict.fromkeys(data.statuses):
        ChildStatus.objects.create(child=child, kind=StatusKind(kind), started_on=today)
    _open_statuses_sync_child(child)
    for role, parent_data in data.parents.items():
        _parent_save(child, role, parent_data)
    if data.guardian:
        _guardian_save(child, data.guardian)
    _flag_duplicates(child)
    audit(actor=actor, action="child_register", obj=child, changes=values.keys())
    return child


def _blank_for(model: type[Parent] | type[Guardian], name: str, value: Any) -> Any:
    """None for a field left empty: "" for text fields, None for the others (dates)."""
    if value is not None:
        return value
    return None if model._meta.get_field(name).null else ""


def _parent_save(child: Child, role: str, values: Mapping[str, Any]) -> Parent:
    parent = Parent.objects.filter(child=child, role=role).first() or Parent(child=child, role=role)
    for name in PARENT_FIELDS:
        if name in values:
            setattr(parent, name, _blank_for(Parent, name, values[name]))
    parent.name = _name(parent.name, f"{role}_name", required=False)
    if parent.situation != ParentSituation.AWAY_FOR_WORK:
        parent.work_place, parent.away_since = "", None
    try:
        parent.full_clean(exclude=["child"])
    except ValidationError as exc:
        raise ValidationError({f"{role}_{k}": v for k, v in exc.message_dict.items()}) from exc
    parent.save()
    return parent


def _guardian_save(child: Child, values: Mapping[str, Any]) -> Guardian:
    guardian = Guardian.objects.filter(child=child).first() or Guardian(child=child)
    for name in GUARDIAN_FIELDS:
        if name in values:
            setattr(guardian, name, _blank_for(Guardian, name, values[name]))
    guardian.name = _name(guardian.name, "guardian_name", required=False)
    try:
        guardian.full_clean(exclude=["child"])
    except ValidationError as exc:
        errors = exc.message_dict
        if not guardian.name:  # required: the same message as for the child's own name
            errors["name"] = [str(BLANK_NAME)]
        raise ValidationError({f"guardian_{k}": v for k, v in errors.items()}) from exc
    guardian.save()
    return guardian


@transaction.atomic
def child_update(
    *,
    actor: AbstractBaseUser,
    child: Child,
    values: Mapping[str, Any],
    parents: Mapping[str, Mapping[str, Any]] | None = None,
    guardian: Mapping[str, Any] | None = None,
) -> Child:
    """Change a child's fields (and optionally parents and entrusted carer); audited by name.

    Moving a child is a change of `village`. Names are normalised as at registration; an ID
    number already on record raises IdNumberTaken once this transaction is rolled back."""
    if "name" in values:
        values = {**values, "name": _name(values["name"], "name", required=True)}
    child = Child.objects.select_for_update().get(pk=child.pk)
    if child.exited_on is not None:
        raise ValidationError(
            _("This child has left the registry; the record can no longer be changed."),
            code="exited",
        )
    changed = []
    for name, value in values.items():
        if name not in CHILD_FIELDS:
            continue
        if getattr(child, name if name != "village" else "village") != value:
            changed.append(name)
            setattr(child, name, value)
    if {"id_number", "birth_date", "sex"} & set(changed):
        check = {"id_number": child.id_number, "birth_date": child.birth_date, "sex": child.sex}
        number = _validate_id_number(check, exclude_pk=child.pk)
        child.id_number = number or ""
        child.id_number_hash = crypto.lookup_hash(number) if number else None
    _validate_child(child)
    _save_unique(child)
    for role, parent_values in (parents or {}).items():
        _parent_save(child, role, parent_values)
        changed.append(f"{role}")
    if guardian is not None:
        _guardian_save(child, guardian)
        changed.append("guardian")
    if {"name", "birth_date", "village"} & set(changed):
        _flag_duplicates(child)
    audit(actor=actor, action="child_update", obj=child, changes=changed)
    return child


@transaction.atomic
def child_exit(
    *, actor: AbstractBaseUser, child: Child, reason: str, on: date | None = None
) -> Child:
    """Take a child out of the registry: open statuses end, the record stays for history."""
    on = on or timezone.localdate()
    if reason not in ExitReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    child = Child.objects.select_for_update().get(pk=child.pk)
    if child.exited_on is not None:
        raise ValidationError(_("This child has already left the registry."), code="exited")
    if on < child.birth_date or on > timezone.localdate():
        raise ValidationError({"on": _("The exit date must be between birth and today.")})
    child.exited_on, child.exit_reason = on, reason
    child.save(update_fields=["exited_on", "exit_reason", "updated_at"])
    ChildStatus.objects.filter(child=child, ended_on__isnull=True).update(
        ended_on=on, end_reason=StatusEndReason.CHILD_EXITED
    )
    _open_statuses_sync_child(child)
    audit(actor=actor, action="child_exit", obj=child, changes=["exited_on"], note=reason)
    return child


@transaction.atomic
def status_add(
    *, actor: AbstractBaseUser, child: Child, kind: str, started_on: date | None = None
) -> ChildStatus:
    if kind not in StatusKind.values:
        raise ValidationError({"kind": _("Choose a status.")})
    if child.exited_on is not None:
        raise ValidationError(_("This child has left the registry."), code="exited")
    if ChildStatus.objects.filter(child=child, kind=kind, ended_on__isnull=True).exists():
        raise ValidationError({"kind": _("This status is already open.")})
    started = started_on or timezone.localdate()
    limit = STATUS_AGE_LIMIT[kind]
    if child.age_on(started) >= limit:
        raise ValidationError(
            {"kind": _("This status is for children under %(age)d.") % {"age": limit}}
        )
    status = ChildStatus.objects.create(child=child, kind=kind, started_on=started)
    _open_statuses_sync_child(child)
    audit(actor=actor, action="status_add", obj=child, changes=["statuses"], note=kind)
    return status


@transaction.atomic
def status_end(
    *, actor: AbstractBaseUser, status: ChildStatus, reason: str, on: date | None = None
) -> ChildStatus:
    if reason not in StatusEndReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    on = on or timezone.localdate()
    updated = ChildStatus.objects.filter(pk=status.pk, ended_on__isnull=True).update(
        ended_on=on, end_reason=reason
    )
    if not updated:
        raise ValidationError(_("This status has already ended."), code="ended")
    status.refresh_from_db()
    _open_statuses_sync_child(status.child)
    audit(actor=actor, action="status_end", obj=status.child, changes=["statuses"], note=reason)
    return status


def _still_left_behind(parents: list[Parent]) -> bool:
    """Both parents away, or one away and the other unable to guard (DOMAIN.md)."""
    situations = {p.role: p.situation for p in parents}
    away = [r for r, s in situations.items() if s == ParentSituation.AWAY_FOR_WORK]
    unable = {
        ParentSituation.UNABLE_TO_GUARD,
        ParentSituation.DEAD,
        ParentSituation.MISSING,
        ParentSituation.IMPRISONED,
    }
    if len(away) == 2:
        return True
    return len(away) == 1 and any(s in unable for r, s in situations.items() if r not in away)


@transaction.atomic
def parent_return(
    *, actor: AbstractBaseUser, child: Child, role: str, on: date | None = None
) -> Child:
    """A parent has come home: record it and end the left-behind status if it no longer holds."""
    on = on or timezone.localdate()
    parent = Parent.objects.select_for_update().filter(child=child, role=role).first()
    if parent is None or parent.situation != ParentSituation.AWAY_FOR_WORK:
        raise ValidationError({"role": _("This parent is not recorded as away for work.")})
    parent.situation, parent.work_place, parent.away_since = ParentSituation.AT_HOME, "", None
    parent.save()
    if not _still_left_behind(list(child.parents.all())):
        ChildStatus.objects.filter(
            child=child, kind=StatusKind.LEFT_BEHIND, ended_on__isnull=True
        ).update(ended_on=on, end_reason=StatusEndReason.PARENT_RETURNED)
        _open_statuses_sync_child(child)
    audit(actor=actor, action="parent_return", obj=child, changes=[role], note=role)
    return child


def _birthday(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # born on 29 February
        return born.replace(year=born.year + years, month=3, day=1)


@transaction.atomic
def statuses_age_out(*, today: date | None = None) -> int:
    """End every open status whose child has reached its age limit, on the birthday itself.

    Idempotent: run daily by the worker, and a missed day is caught up by the next run.
    """
    today = today or timezone.localdate()
    ended = 0
    children: set[int] = set()  # whose statuses ended: their open_statuses is synced once
    for kind, limit in STATUS_AGE_LIMIT.items():
        cutoff = _birthday(today, -limit)  # born on or before this date: reached the limit
        due = ChildStatus.objects.filter(
            kind=kind, ended_on__isnull=True, child__birth_date__lte=cutoff
        ).select_related("child")
        for status in due.iterator(chunk_size=2000):
            status.ended_on = _birthday(status.child.birth_date, limit)
            status.end_reason = StatusEndReason.AGED_OUT
            status.save(update_fields=["ended_on", "end_reason"])
            children.add(status.child_id)
            ended += 1
    open_statuses_sync(children)
    return ended


@transaction.atomic
def duplicate_resolve(
    *, actor: AbstractBaseUser, flag: DuplicateFlag, resolution: str
) -> DuplicateFlag:
    """Confirm two flagged records are different children, or merge the newer into the older.

    Merging exits the newer record with reason "duplicate"; its history stays readable.
    """
    if resolution not in (DuplicateFlag.Resolution.DISTINCT, DuplicateFlag.Resolution.MERGED):
        raise ValidationError({"resolution": _("Choose a resolution.")})
    updated = DuplicateFlag.objects.filter(
        pk=flag.pk, resolution=DuplicateFlag.Resolution.OPEN
    ).update(resolution=resolution, resolved_at=timezone.now(), resolved_by=actor)
    if not updated:
        raise ValidationError(_("This possible duplicate has already been resolved."))
    flag.refresh_from_db()
    if resolution == DuplicateFlag.Resolution.MERGED:
        newer = max(flag.child, flag.other, key=lambda c: c.pk)
        if newer.exited_on is None:
            child_exit(actor=actor, child=newer, reason=ExitReason.DUPLICATE)
    audit(actor=actor, action="duplicate_resolve", obj=flag.child, note=resolution)
    return flag


@transaction.atomic
def consent_record(
    *,
    actor: AbstractBaseUser,
    child: Child,
    purpose: str,
    given_on: date | None = None,
    reference: str = "",
) -> Consent:
    """Record a guardian's written consent to one purpose. Recording it again while it holds is
    refused, so the date and paper of the first consent are never overwritten."""
    if not child.is_active:
        raise ValidationError(_("This child has already left the registry."), code="exited")
    if purpose not in ConsentPurpose.values:
        raise ValidationError({"purpose": _("Choose a purpose.")})
    given_on = given_on or timezone.localdate()
    if given_on > timezone.localdate():
        raise ValidationError({"given_on": _("The date of consent is in the future.")})
    Child.objects.select_for_update().filter(pk=child.pk).first()  # one recorder at a time
    if Consent.objects.filter(child=child, purpose=purpose, withdrawn_on__isnull=True).exists():
        raise ValidationError(
            {"purpose": _("The guardian's consent to this purpose is already recorded.")},
            code="exists",
        )
    consent = Consent.objects.create(
        child=child,
        purpose=purpose,
        given_on=given_on,
        reference=reference.strip()[:100],
        recorded_by_id=actor.pk,
    )
    audit(actor=actor, action="consent_record", obj=child, note=purpose)
    return consent


@transaction.atomic
def consent_withdraw(
    *, actor: AbstractBaseUser, child: Child, purpose: str, on: date | None = None
) -> Consent:
    """The guardian withdraws consent to a purpose from `on` (today by default). What depended on
    it (a volunteer pairing) is ended by the app that owns it, in the caller's transaction."""
    consent = (
        Consent.objects.select_for_update()
        .filter(child=child, purpose=purpose, withdrawn_on__isnull=True)
        .first()
    )
    if consent is None:
        raise ValidationError(
            {"purpose": _("There is no consent to this purpose to withdraw.")}, code="missing"
        )
    on = on or timezone.localdate()
    if on < consent.given_on or on > timezone.localdate():
        raise ValidationError({"on": _("The date must be between the consent and today.")})
    consent.withdrawn_on = on
    consent.save(update_fields=["withdrawn_on"])
    audit(actor=actor, action="consent_withdraw", obj=child, note=purpose)
    return consent


def transfer_request_open(
    *, actor: AbstractBaseUser, child_id: int, village: Area
) -> tuple[TransferRequest, bool]:
    """Ask the county administrators to move a child's record to `village`: someone there typed
    the child's ID number into a registration (most often, the child moved). One request is
    open per child and village; asking again returns it. (request, whether it is new)."""
    with transaction.atomic():
        open_ = TransferRequest.objects.filter(
            child_id=child_id, village=village, status=TransferRequest.Status.OPEN
        )
        existing = open_.first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                request = TransferRequest.objects.create(
                    child_id=child_id, village=village, requested_by_id=actor.pk
                )
        except IntegrityError:  # opened at the same moment by another request
            return open_.get(), False
        audit(actor=actor, action="transfer_request_open", obj=request.child, note=village.code)
        return request, True


@transaction.atomic
def transfer_request_decide(
    *, actor: AbstractBaseUser, transfer: TransferRequest, accept: bool
) -> TransferRequest:
    """Accept (the child is moved to the requesting village, as `child_update` moves a child,
    audited) or decline a transfer request. Deciding twice is refused: whoever decided first
    wins, and nothing else changes."""
    status = TransferRequest.Status.ACCEPTED if accept else TransferRequest.Status.DECLINED
    updated = TransferRequest.objects.filter(
        pk=transfer.pk, status=TransferRequest.Status.OPEN
    ).update(status=status, decided_at=timezone.now(), decided_by=actor)
    if not updated:
        raise ValidationError(_("This transfer request has already been decided."), code="decided")
    transfer.refresh_from_db()
    if accept:
        child_update(actor=actor, child=transfer.child, values={"village": transfer.village})
    audit(actor=actor, action="transfer_request_decide", obj=transfer.child, note=status)
    return transfer


ANONYMOUS_NAME = "（已匿名）"
DEFAULT_RETENTION_YEARS = 5


@transaction.atomic
def child_anonymise(
    *, actor: AbstractBaseUser | None, child: Child, today: date | None = None
) -> Child:
    """Erase what identifies a child who left the registry, and their family, for good.

    Kept for the county's statistics: sex, birth year (the date becomes 1 July), ethnicity,
    hukou, village, grade, statuses with their dates, exit date and reason, pairings and care
    dates. Erased: name, ID number, address, school, health and disability notes, interests and
    languages, parents' and the entrusted carer's names, phones, work places and reasons."""
    today = today or timezone.localdate()
    if child.exited_on is None:
        raise ValidationError(_("Only a child who left the registry can be anonymised."))
    if child.anonymised_on is not None:
        return child
    Child.objects.filter(pk=child.pk).update(
        name=ANONYMOUS_NAME,
        birth_date=child.birth_date.replace(month=7, day=1),
        id_number="",
        id_number_hash=None,
        address="",
        school="",
        health_notes="",
        disability_notes="",
        interests=[],
        languages=[],
        anonymised_on=today,
    )
    Parent.objects.filter(child=child).update(name="", phone="", work_place="", unable_reason="")
    Guardian.objects.filter(child=child).update(name=ANONYMOUS_NAME, phone="", phone_hash=None)
    Consent.objects.filter(child=child).update(reference="")
    DuplicateFlag.objects.filter(Q(child=child) | Q(other=child)).delete()
    audit(actor=actor, action="child_anonymise", obj=child)
    child.refresh_from_db()
    return child


def retention_years(county: Area) -> int:
    policy = RetentionPolicy.objects.filter(county=county).first()
    return policy.years_after_exit if policy else DEFAULT_RETENTION_YEARS


def children_anonymise_due(*, today: date | None = None) -> int:
    """The retention job: anonymise every child who left the registry longer ago than their
    county keeps records. Idempotent; run daily by the worker. Returns how many were done."""
    today = today or timezone.localdate()
    done = 0
    for county in Area.objects.filter(level=Area.Level.COUNTY):
        cutoff = _birthday(today, -retention_years(county))
        due = Child.objects.filter(
            village__code__startswith=county.code[:6],
            exited_on__lte=cutoff,
            anonymised_on__isnull=True,
        )
        for child in due.iterator(chunk_size=500):
            child_anonymise(actor=None, child=child, today=today)
            done += 1
    return done
