"""Alerts from outside Care365: the family's help link and SMS through the gateway's webhook.

A family that presses the button again, or texts as well, while its request is still open is
folded into the same alert rather than starting a second escalation: the alert counts every
request (`Alert.request_count`), and repeats within REPEAT_FOLD of each other share one "raised
again" step, which rings the responders' pages once. Fifteen presses in a minute are one alert
asked 15 times, one step, one ring.

A registered entrusted carer's message is an alert for each of their children, in the child's
county. Unknown numbers reach the duty desk of the county whose SMS help number was texted
(`sms_intake_county`): one alert per number (its repeats folded the same
way), and at most SMS_UNKNOWN_SENDERS_PER_HOUR such alerts per county an hour. Beyond that,
messages from further unknown numbers are folded into the county's one open "many unknown
senders" alert, which keeps every number (encrypted) for calling back: a flood (a spam run, a
number printed by mistake) pages the desk once, not once per number.

Every count lives in the database, so all app processes share it; the rows that decide are
locked while deciding (the help link's row; the county's row for unknown senders).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.areas.models import Area
from care365.core import crypto
from care365.core.errors import NotFound
from care365.protection.channels import mask_phone, normalise_phone, signature_valid
from care365.protection.models import (
    MANY_SENDERS,
    Alert,
    AlertEvent,
    EscalationPolicy,
    HelpLink,
    InboundSms,
    Kind,
    Source,
    State,
)
from care365.protection.selectors import help_link_find
from care365.protection.services.alerts import raise_alert
from care365.protection.services.steps import Emitter, county_id_of, logger, notify_state
from care365.registry.models import Child

REPEAT_WINDOW = timedelta(minutes=30)
# Repeats this close to the last "raised again" step are folded into it and ring nobody.
REPEAT_FOLD = timedelta(minutes=5)
SMS_TEXT_MAX = 1000
# The notes a folded "raised again" step keeps (the newest), and the numbers the "many unknown
# senders" alert keeps.
FOLDED_NOTES = 5
MANY_SENDERS_MAX = 500
UNKNOWN_SENDERS_WINDOW = timedelta(hours=1)


class HelpLinkNotFound(NotFound):
    """The token is unknown or revoked, or the child has left the registry: the page says the
    link does not work, and nothing else."""


def fold_repeat(alert: Alert, *, now: datetime, source: str, note: str) -> Alert:
    """Fold a repeat into the open alert (inside the caller's transaction, which holds the row
    that decides: the help link's, the county's, or the child's): count it, and add it to the
    last "raised again" step when that is less than REPEAT_FOLD old, or start a new one, which
    rings the responders' pages. Used by the help link, SMS, and raises from pages and the API
    (`alert_raise`)."""
    Alert.objects.filter(pk=alert.pk).update(request_count=F("request_count") + 1)
    alert.request_count += 1
    last = (
        AlertEvent.objects.select_for_update()
        .filter(alert=alert, kind=AlertEvent.Kind.REPEATED)
        .order_by("-at", "-pk")
        .first()
    )
    if last is not None and now - last.at < REPEAT_FOLD:
        data = dict(last.data)
        data["count"] = int(data.get("count", 1)) + 1
        data["last_at"] = now.isoformat()
        if note:
            data["notes"] = [*data.get("notes", []), note][-FOLDED_NOTES:]
        AlertEvent.objects.filter(pk=last.pk).update(data=data)
        logger.info("alert #%s asked again via %s (folded)", alert.pk, source)
        return alert
    AlertEvent.objects.create(
        alert=alert,
        kind=AlertEvent.Kind.REPEATED,
        at=now,
        level=alert.level,
        data={"source": source, "count": 1, **({"notes": [note]} if note else {})},
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
            return fold_repeat(existing, now=now, source=Source.HELP_LINK, note=note)
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


def children_with_guardian_phone(county: Area | None, phone: str) -> list[Child]:
    """The active children whose entrusted carer has this phone number: in `county`, or in every
    county of the installation when it is None (an SMS's sender belongs to their children's
    counties, whichever number they texted).

    Phones are encrypted at rest; each entrusted carer's phone has a keyed hash of its normal
    form beside it (Guardian.phone_hash), so this is one indexed look-up, whatever the format the
    number was registered or sent in. A grandmother caring for two grandchildren gets both.
    """
    digest = crypto.phone_hash(phone)
    if digest is None:
        return []
    children = Child.objects.filter(guardian__phone_hash=digest, exited_on__isnull=True)
    if county is not None:
        children = children.filter(village__code__startswith=county.code)
    return list(
        children.select_related("village", "village__parent", "village__parent__parent").order_by(
            "pk"
        )
    )


def sms_intake_county(to: str) -> Area | None:
    """The county an SMS to the number `to` was sent to: the county whose SMS help number it is
    (EscalationPolicy.sms_number); else, when the installation runs a single county, that county
    (CARE365_COUNTY_CODE); else None: with several counties a number none of them has names no
    duty desk, and guessing one would send a family's call to the wrong county."""
    number = normalise_phone(to)
    if number:
        row = EscalationPolicy.objects.select_related("county").filter(sms_number=number).first()
        if row is not None:
            return row.county
    counties = list(Area.objects.filter(level=Area.Level.COUNTY).order_by("pk")[:2])
    if len(counties) == 1 and counties[0].code == settings.COUNTY_CODE:
        return counties[0]
    return None


def alert_raise_from_sms(
    *, phone: str, text: str, message_id: str = "", to: str = "", now: datetime | None = None
) -> list[Alert]:
    """An SMS to a county's help number `to`, delivered by the gateway's webhook (check the
    signature with `sms_signature_valid` first). From a registered entrusted carer's phone: an
    alert for each of that carer's children, each in its own child's county (its officers, its
    desk), whichever number was texted. From an unknown number: one alert for the duty desk of
    the county `to` belongs to (`sms_intake_county`), which keeps the number encrypted for
    calling back and shows it masked everywhere else; a ValidationError when no county's it is.

    With the gateway's `message_id`, a message delivered again returns the alerts of its first
    delivery and changes nothing (a delivery racing with the first waits for it to commit)."""
    now = now or timezone.now()
    message_id = message_id.strip()[:100]
    number = normalise_phone(phone)
    if not 5 <= len(number) <= 15:
        raise ValidationError({"phone": _("Not a phone number.")})
    note = text.strip()[:SMS_TEXT_MAX]
    children = children_with_guardian_phone(None, number)
    county = None if children else sms_intake_county(to)
    if not children and county is None:
        logger.error(
            "SMS from an unregistered number to %s: no county has this SMS help number",
            mask_phone(normalise_phone(to)) if to.strip() else "(no number given)",
        )
        raise ValidationError(
            {"to": _("This number is no county's SMS help number: set it on the county's policy.")}
        )
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
    county: Area | None, children: list[Child], *, number: str, note: str, now: datetime
) -> list[Alert]:
    """Inside the caller's transaction: a repeat of each open family alert, or a new alert."""
    alerts: list[Alert] = []
    if not children:
        if county is None:  # unreachable: alert_raise_from_sms refuses such a message first
            raise ValidationError({"to": _("No county's SMS help number.")})
        alerts.append(_unknown_sender(county, number=number, note=note, now=now))
        logger.info("SMS from unregistered %s routed to the county desk", mask_phone(number))
        return alerts
    for child in children:
        existing = _open_family_alert(child, now)
        if existing is not None:
            alerts.append(fold_repeat(existing, now=now, source=Source.SMS, note=note))
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


def _open_desk_alert(county: Area, sender_hash: str, *, since: datetime | None) -> Alert | None:
    alerts = Alert.objects.filter(county=county, child__isnull=True, sender_hash=sender_hash)
    if since is not None:
        alerts = alerts.filter(raised_at__gte=since)
    return alerts.exclude(state=State.RESOLVED).order_by("-raised_at", "-pk").first()


def _unknown_sender(county: Area, *, number: str, note: str, now: datetime) -> Alert:
    """An SMS from a number the registry does not know (inside the caller's transaction): a
    repeat of the number's open alert; a new alert while the county had fewer than
    SMS_UNKNOWN_SENDERS_PER_HOUR of them in the last hour; beyond that, folded into the
    county's open "many unknown senders" alert (raised when there is none)."""
    # One intake of an unknown sender at a time per county, in every process: the count below
    # and the alert it decides on cannot race.
    Area.objects.select_for_update().filter(pk=county.pk).first()
    sender_hash = crypto.lookup_hash(number)
    existing = _open_desk_alert(county, sender_hash, since=now - REPEAT_WINDOW)
    if existing is not None:
        return fold_repeat(existing, now=now, source=Source.SMS, note=note)
    recent = (
        Alert.objects.filter(
            county=county,
            child__isnull=True,
            source=Source.SMS,
            raised_at__gte=now - UNKNOWN_SENDERS_WINDOW,
        )
        .exclude(sender_hash=MANY_SENDERS)
        .count()
    )
    many = None
    if recent >= settings.SMS_UNKNOWN_SENDERS_PER_HOUR:
        many = _open_desk_alert(county, MANY_SENDERS, since=None)
        if many is not None:
            phones = many.sender_phones
            if number not in phones and len(phones) < MANY_SENDERS_MAX:
                many.sender_phone = "\n".join([*phones, number])
                many.save(update_fields=["sender_phone"])
            return fold_repeat(many, now=now, source=Source.SMS, note=note)
    alert = raise_alert(
        child=None,
        county_id=county.pk,
        kind=Kind.HELP_REQUEST,
        note=note,
        source=Source.SMS,
        raised_by=None,
        now=now,
        sender_phone=number,
    )
    if recent >= settings.SMS_UNKNOWN_SENDERS_PER_HOUR:
        # The first number beyond the hour's alerts: this alert folds the ones after it.
        Alert.objects.filter(pk=alert.pk).update(sender_hash=MANY_SENDERS, sender_masked="")
        alert.sender_hash, alert.sender_masked = MANY_SENDERS, ""
        logger.warning("county #%s: many SMS from unknown numbers, now folded", county.pk)
    return alert
