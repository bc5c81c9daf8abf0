"""A guardian's written consent to a purpose: recorded and withdrawn."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.core.audit import audit
from care365.registry.hooks import children_changed_now
from care365.registry.models import Child, Consent, ConsentPurpose


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
    children_changed_now([child.pk])  # a volunteer's visits join the plan with their consent
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
    children_changed_now([child.pk])
    return consent
