"""Organisations' webhook endpoints and the deliveries to them, for the county's pages and API."""

from __future__ import annotations

from django.db.models import QuerySet

from care365.accounts.models import User
from care365.carers.models import Organisation
from care365.protection.access import webhook_deliveries_for_admin, webhook_endpoints_for_admin
from care365.protection.models import Notification, WebhookEndpoint


def webhook_endpoints_of(user: User, organisation: Organisation) -> QuerySet[WebhookEndpoint]:
    """An organisation's endpoints (already read through `organisation_get_for_admin`), active
    first."""
    return (
        webhook_endpoints_for_admin(user)
        .filter(organisation=organisation)
        .order_by("-active", "pk")
    )


def webhook_delivery_list(
    user: User, *, state: str = "", organisation: Organisation | None = None
) -> QuerySet[Notification]:
    """The webhook deliveries of the user's county, newest first, with their endpoint and its
    organisation (one query a page); `state` (pending, sending, sent, failed) and `organisation`
    narrow it."""
    rows = webhook_deliveries_for_admin(user)
    if state:
        rows = rows.filter(state=state)
    if organisation is not None:
        rows = rows.filter(webhook__organisation=organisation)
    return rows.select_related("webhook", "webhook__organisation").order_by("-created_at", "-pk")
