"""Alerts from outside Care365: the family's help link and SMS through the gateway's webhook.

A family that presses the button again, or texts as well, while its request is still open adds
a "raised again" step to the same alert (and rings the responders' pages again) rather than
starting a second escalation.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.areas.models import Area
from care365.core import crypto
from care365.protection.channels import mask_phone, normalise_phone, signature_valid
from care365.protection.models import (
    Alert,
    AlertEvent,
    HelpLink,
    InboundSms,
    Kind,
    Source,
    State,
)
from care365.protection.selectors import help_link_find
from care365.registry.models import Child

from .alerts import raise_alert
from .steps import Emitter, county_id_of, logger, notify_state

REPEAT_WINDOW = timedelta(minutes=30)
SMS_TEXT_MAX = 1000


class HelpLinkNotFound(Http404):
    """The token is unknown or revoked, or the child has left the registry: the page says the
    link does not work, and nothing else."""


def _repeat(alert: Alert, *, now: datetime, source: str, note: str) -> Alert:
    AlertEvent.objects.create(
        alert=alert,
        kind=AlertEvent.Kind.REPEATED,
        at=now,
        level=alert.level,
        data={"source": source, **({"note": note} if note else {})},
    )
    emitter = Emitter(now)
    notify_state(alert, emitter, kind="alert_repeated")
    emitter.flush()
    logger.info("alert #%s raised again via %s", alert.pk, source)
    return alert


def _open_family_alert(child: Child, now: datetime) -> Alert | None:
    return (
        Alert.objects.filter(
            child=child,
            source__in=[Source.HELP_LINK, Source.SMS],
            raised_at__gte=now - REPEAT_WINDOW,
        )
        .exclude(state=State.RESOLVED)
        .order_by("-raised_at", "-pk")
        .first()
    )


def alert_raise_from_help_link(*, token: str, note: str = "", now: datetime | None = None) -> Alert:
    """The guardian pressed the button on the child's help page (no sign-in: the secret token
    is the credential). Raises HelpLinkNotFound (404) for an unknown or revoked token."""
    now = now or timezone.now()
    link = help_link_find(token)
    if link is None or not link.child.is_active:
        raise HelpLinkNotFound
    note = note.strip()[:SMS_TEXT_MAX]
    with transaction.atomic():
        # Lock the link: two presses at once give one alert, not two.
        locked = (
            HelpLink.objects.select_for_update().filter(pk=link.pk, revoked_at__isnull=True).first()
        )
        if locked is None:
            raise HelpLinkNotFound
        HelpLink.objects.filter(pk=link.pk).update(last_used_at=now)
        child = link.child
        existing = _open_family_alert(child, now)
        if existing is not None:
            return _repeat(existing, now=now, source=Source.HELP_LINK, note=note)
        return raise_alert(
            child=child,
            county_id=county_id_of(child.village),
            kind=Kind.HELP_REQUEST,
            note=note,
            source=Source.HELP_LINK,
            raised_by=None,
            now=now,
        )


def sms_signature_valid(*, body: bytes, signature: str, secret: str | None = None) -> bool:
    """Whether a webhook request comes from the SMS gateway: `signature` (the X-Signature
    header, "sha256=<hex>" or "<hex>") must be the HMAC-SHA256 of the raw body under
    CARE365_SMS_WEBHOOK_SECRET, compared in constant time. With no secret configured every
    request is refused."""
    return signature_valid(
        body, signature, settings.SMS_WEBHOOK_SECRET if secret is None else secret
    )


def children_with_guardian_phone(county: Area, phone: str) -> list[Child]:
    """The county's active children whose entrusted carer has this phone number.

    Phones are encrypted at rest; each entrusted carer's phone has a keyed hash of its normal
    form beside it (Guardian.phone_hash), so this is one indexed look-up, whatever the format the
    number was registered or sent in. A grandmother caring for two grandchildren gets both.
    """
    digest = crypto.phone_hash(phone)
    if digest is None:
        return []
    return list(
        Child.objects.filter(
            guardian__phone_hash=digest,
            exited_on__isnull=True,
            village__code__startswith=county.code,
        )
        .select_related("village", "village__parent", "village__parent__parent")
        .order_by("pk")
    )


def alert_raise_from_sms(
    *, phone: str, text: str, message_id: str = "", now: datetime | None = None
) -> list[Alert]:
    """An SMS to the county's number, delivered by the gateway's webhook (check the signature
    with `sms_signature_valid` first). From a registered entrusted carer's phone: an alert for
    each of that carer's children. From an unknown number: one alert for the county duty desk,
    which keeps the number encrypted for calling back and shows it masked everywhere else.

    With the gateway's `message_id`, a message delivered again returns the alerts of its first
    delivery and changes nothing (a delivery racing with the first waits for it to commit)."""
    now = now or timezone.now()
    message_id = message_id.strip()[:100]
    number = normalise_phone(phone)
    if not 5 <= len(number) <= 15:
        raise ValidationError({"phone": _("Not a phone number.")})
    county = Area.objects.filter(level=Area.Level.COUNTY, code=settings.COUNTY_CODE).first()
    if county is None:
        raise ValidationError(_("The county of this installation is not in the area tree."))
    note = text.strip()[:SMS_TEXT_MAX]
    children = children_with_guardian_phone(county, number)
    with transaction.atomic():
        inbound = None
        if message_id:
            inbound, first = InboundSms.objects.get_or_create(
                gateway_id=message_id, defaults={"received_at": now}
            )
            if not first:
                logger.info("SMS %s delivered again: nothing to do", inbound.pk)
                return list(inbound.alerts.order_by("pk"))
        alerts = _raise_for_sms(county, children, number=number, note=note, now=now)
        if inbound is not None:
            inbound.alerts.set(alerts)
    return alerts


def _raise_for_sms(
    county: Area, children: list[Child], *, number: str, note: str, now: datetime
) -> list[Alert]:
    """Inside the caller's transaction: a repeat of each open family alert, or a new alert."""
    alerts: list[Alert] = []
    if not children:
        sender_hash = crypto.lookup_hash(number)
        existing = (
            Alert.objects.filter(
                county=county,
                child__isnull=True,
                sender_hash=sender_hash,
                raised_at__gte=now - REPEAT_WINDOW,
            )
            .exclude(state=State.RESOLVED)
            .order_by("-raised_at", "-pk")
            .first()
        )
        if existing is not None:
            alerts.append(_repeat(existing, now=now, source=Source.SMS, note=note))
        else:
            alerts.append(
                raise_alert(
                    child=None,
                    county_id=county.pk,
                    kind=Kind.HELP_REQUEST,
                    note=note,
                    source=Source.SMS,
                    raised_by=None,
                    now=now,
                    sender_phone=number,
                )
            )
        logger.info("SMS from unregistered %s routed to the county desk", mask_phone(number))
        return alerts
    for child in children:
        existing = _open_family_alert(child, now)
        if existing is not None:
            alerts.append(_repeat(existing, now=now, source=Source.SMS, note=note))
            continue
        alerts.append(
            raise_alert(
                child=child,
                county_id=county_id_of(child.village),
                kind=Kind.HELP_REQUEST,
                note=note,
                source=Source.SMS,
                raised_by=None,
                now=now,
            )
        )
    logger.info("SMS from %s: %d alert(s)", mask_phone(number), len(alerts))
    return alerts
