"""Organisations' webhook endpoints, and telling an organisation of an event through the outbox
(SMS to its contact, email, a signed webhook to each active endpoint; docs/network.md).

Endpoints are kept by the administrators of the organisation's county. The signing secret is
made here, returned once to be shown once (page or API), and kept encrypted at rest; rotating it
makes a new one, deactivating an endpoint stops its deliveries (one still queued fails as
"deactivated"). Each write is one transaction with its audit row, which names the endpoint and
never the secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.access import county_for_admin, in_county
from care365.accounts.models import User
from care365.carers.models import Organisation
from care365.core.audit import audit
from care365.protection import policy
from care365.protection.channels import sms_configured, webhook_url_problem
from care365.protection.models import WEBHOOK, Notification, WebhookEndpoint
from care365.protection.models.outbox import URL_MAX
from care365.protection.services.outbox import notification_queue, webhook_queue

SECRET_PREFIX = "whsec_"  # noqa: S105  # a label that starts every secret, not a secret
# Endpoints an organisation may have at once (active): a few systems, not a mailing list.
ENDPOINTS_MAX = 5


def _secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _check_admin(actor: User, organisation: Organisation) -> None:
    county = county_for_admin(actor)
    if county is None or not in_county(county, organisation.area):
        raise PermissionDenied


@transaction.atomic
def webhook_endpoint_create(
    *, actor: User, organisation: Organisation, url: str, now: datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint to an organisation of the actor's county (county administrators); returns
    it with its new secret, which the caller shows once. A URL that is not http(s), or plain http
    in production (but to loopback), is refused on the `url` field in the actor's language."""
    _check_admin(actor, organisation)
    url = str(url or "").strip()
    if not url:
        problem = _("This field is required.")
    elif len(url) > URL_MAX:
        problem = _("Keep it under %(n)d characters.") % {"n": URL_MAX}
    else:
        problem = webhook_url_problem(url)
    if problem:
        raise ValidationError({"url": [problem]})
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    if organisation.webhook_endpoints.filter(active=True).count() >= ENDPOINTS_MAX:
        raise ValidationError(
            {"url": [_("At most %(n)d active endpoints per organisation.") % {"n": ENDPOINTS_MAX}]}
        )
    secret = _secret()
    endpoint = WebhookEndpoint.objects.create(
        organisation=organisation, url=url, secret=secret, created_at=now or timezone.now()
    )
    audit(actor=actor, action="webhook_endpoint_create", obj=endpoint, changes=["url"])
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_rotate(
    *, actor: User, endpoint: WebhookEndpoint, now: datetime | None = None
) -> str:
    """A new secret for an active endpoint (the old one stops signing at once); returns it, to
    be shown once."""
    _check_admin(actor, endpoint.organisation)
    if not endpoint.active:
        from care365.core.errors import StateConflictError

        raise StateConflictError(_("This endpoint is deactivated."))
    secret = _secret()
    endpoint.secret = secret
    endpoint.secret_rotated_at = now or timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at"])
    audit(actor=actor, action="webhook_endpoint_rotate", obj=endpoint, changes=["secret"])
    return secret


@transaction.atomic
def webhook_endpoint_deactivate(*, actor: User, endpoint: WebhookEndpoint) -> bool:
    """Stop deliveries to an endpoint; False if it was already deactivated."""
    _check_admin(actor, endpoint.organisation)
    moved = WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).update(active=False)
    endpoint.active = False
    if moved:
        audit(actor=actor, action="webhook_endpoint_deactivate", obj=endpoint, changes=["active"])
    return bool(moved)


def organisation_notify(
    *,
    organisation: Organisation,
    event: str,
    key: str,
    subject: str,
    text: str,
    data: dict[str, Any],
    channels: Iterable[str] = (policy.SMS, policy.EMAIL, WEBHOOK),
    now: datetime | None = None,
    kind: str = Notification.Kind.REFERRAL,
) -> int:
    """Queue what an organisation is told of `event`, in the caller's transaction: an SMS to its
    contact phone (when SMS is configured), an email to its contact email, and a webhook
    delivery to each of its active endpoints (with `data`). `key` makes each message's
    idempotency key (`<key>-sms`, `<key>-email`, `<key>-webhook-<endpoint id>`), so an event
    told twice queues nothing more. The words and the data are the caller's and never name a
    child. `kind` is the outbox's kind of the messages (a referral's, or a donor's thanks).
    Returns how many messages were queued."""
    wanted = set(channels)
    queued = 0
    if policy.SMS in wanted and organisation.contact_phone and sms_configured():
        queued += notification_queue(
            kind=kind,
            recipient=None,
            address=organisation.contact_phone,
            key=f"{key}-sms",
            subject=subject,
            text=text,
            channel=policy.SMS,
            now=now,
        )
    if policy.EMAIL in wanted and organisation.contact_email:
        queued += notification_queue(
            kind=kind,
            recipient=None,
            address=organisation.contact_email,
            key=f"{key}-email",
            subject=subject,
            text=text,
            channel=policy.EMAIL,
            now=now,
        )
    if WEBHOOK in wanted:
        for endpoint in organisation.webhook_endpoints.filter(active=True).order_by("pk"):
            queued += webhook_queue(
                kind=kind,
                endpoint=endpoint,
                key=f"{key}-webhook-{endpoint.pk}",
                event=event,
                data=data,
                now=now,
            )
    return queued
