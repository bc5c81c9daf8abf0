"""How a notification leaves Care365: email over SMTP, SMS over an HTTP gateway, and signed
webhooks to organisations' own systems.

(In-app notifications never leave the database: they become rows of the recipient's event stream
in the transaction that queues them; see services/outbox.py.)

Every message carries its notification's idempotency key (the SMS gateway's `Idempotency-Key`,
the email's Message-ID), so a receiver recognises a message that a retry, or a second worker after
a lease ran out, sends again. Messages name the alert's village and kind, never the child: SMS and
email cross networks Care365 does not control, and the responder reads the child's safety card in
Care365 itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import smtplib
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.translation import gettext as _

# Re-exported: protection's code has always found it here.
from care365.core.phones import normalise_phone as normalise_phone
from care365.protection.models import Kind, Notification

SMS_TIMEOUT_SECONDS = 5.0
# An organisation's system answers a webhook at once or is retried later: a slow receiver must not
# hold up the rest of the outbox's batch (its lease is 30 s).
WEBHOOK_TIMEOUT_SECONDS = 5.0


class ChannelError(Exception):
    """A message was not delivered. `permanent` errors are not retried (a refused address, a
    gateway that says the request is wrong); the others are retried with backoff. `unconfigured`:
    the channel is not set up at all (said once when the worker starts, not for every message)."""

    def __init__(
        self, message: str, *, permanent: bool = False, unconfigured: bool = False
    ) -> None:
        super().__init__(message)
        self.permanent = permanent or unconfigured
        self.unconfigured = unconfigured


# What the outbox keeps of a failed webhook delivery (`Notification.last_error`, in English for
# the logs and the API) said in the reader's language on the deliveries page.
_TIMEOUTS = frozenset({"TimeoutError", "timeout", "socket.timeout"})


def webhook_error_text(error: str) -> str:
    """A webhook delivery's last error in the user's language; an error of another kind (or
    one written by an older release) as it was kept."""
    if error == "the endpoint's address is refused":
        return _("The endpoint's address is not allowed: a local or private address.")
    if error == "the endpoint is deactivated":
        return _("The endpoint was deactivated before this delivery was sent.")
    prefix, _sep, rest = error.partition(": ")
    if prefix == "endpoint unreachable":
        if rest in _TIMEOUTS:
            return _("The endpoint did not answer within %(seconds)s seconds.") % {
                "seconds": f"{WEBHOOK_TIMEOUT_SECONDS:g}"
            }
        return _("The endpoint could not be reached (%(why)s).") % {"why": rest}
    if error.startswith("endpoint answered ") and error[18:].isdigit():
        return _("The endpoint answered HTTP %(code)s.") % {"code": error[18:]}
    return error


def sign(body: bytes, secret: str) -> str:
    """HMAC-SHA256 of a request body under a shared secret, as lowercase hex."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, signature: str, secret: str) -> bool:
    """Whether `signature` ("<hex>" or "sha256=<hex>") is the body's HMAC under `secret`,
    compared in constant time. Without a secret nothing is valid."""
    if not secret or not signature:
        return False
    given = signature.strip()
    if given.lower().startswith("sha256="):
        given = given[len("sha256=") :]
    return hmac.compare_digest(given.lower(), sign(body, secret))


def mask_phone(phone: str) -> str:
    """A phone number for lists and logs: the first three and last four digits only."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 9:
        return "*" * (len(digits) - 2) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_address(channel: str, address: str) -> str:
    """An email or phone address in a form fit for logs."""
    if not address:
        return ""
    if "@" in address:
        local, _at, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return mask_phone(address)


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


# The alert's page (protection/urls.py, "protection:alert-detail"; a test keeps the two the same).
# Written out rather than reversed: reversing would load every URL of the web app and its API into
# a worker that only sends messages, and a restarted worker would be that much later.
ALERT_PATH = "alerts/{id}/"


def alert_link(alert_id: int) -> str:
    """The address of the alert's page, absolute when CARE365_PUBLIC_URL is set."""
    return f"{settings.PUBLIC_URL}{get_script_prefix()}{ALERT_PATH.format(id=int(alert_id))}"


def render(payload: Mapping[str, Any]) -> Message:
    """The words of a notification, in the installation's language, from its payload."""
    with translation.override(settings.LANGUAGE_CODE):
        try:
            kind = str(Kind(payload.get("kind", "")).label)
        except ValueError:
            kind = str(payload.get("kind", ""))
        place = payload.get("village") or _("unknown place")
        if payload.get("township"):
            place = f"{payload['township']} {place}"
        params = {"id": payload.get("alert"), "kind": kind, "place": place}
        if payload.get("repeat"):
            subject = _("Care365 alert #%(id)s still unanswered: %(kind)s, %(place)s") % params
        else:
            subject = _("Care365 alert #%(id)s: %(kind)s, %(place)s") % params
        lines = [subject]
        if payload.get("sender"):
            lines.append(_("From an unregistered phone: %(phone)s") % {"phone": payload["sender"]})
        lines.append(_("Acknowledge in Care365 as soon as you can."))
        link = alert_link(int(payload["alert"])) if payload.get("alert") else ""
        if link:
            lines.append(link)
    return Message(subject=subject, text="\n".join(lines))


def render_notification(kind: str, payload: Mapping[str, Any]) -> Message:
    """The words of a notification of any kind: an alert's are written from its payload when
    sent; a message of another kind (the daily care digest) was written when it was queued."""
    if kind == Notification.Kind.ALERT:
        return render(payload)
    return Message(subject=str(payload.get("subject", "")), text=str(payload.get("text", "")))


class EmailChannel:
    """Email through Django's mail backend (SMTP with the EMAIL_* settings); one connection for
    a run of messages, reopened after an error."""

    def __init__(self) -> None:
        self.connection: Any = None

    def close(self) -> None:
        if self.connection is not None:
            # Closing a broken connection: nothing is left to do if it fails.
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None

    def send(self, *, address: str, message: Message, key: str) -> None:
        if self.connection is None:
            connection = get_connection(fail_silently=False)
            try:
                connection.open()
            except (OSError, smtplib.SMTPException) as exc:
                raise ChannelError(f"mail server unreachable: {type(exc).__name__}") from exc
            self.connection = connection
        email = EmailMessage(
            subject=message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"Message-ID": f"<{key}@care365>", "X-Care365-Idempotency-Key": key},
            connection=self.connection,
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError("the mail server refused the address", permanent=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()  # the connection may be broken: the next message opens a fresh one
            raise ChannelError(f"mail server: {type(exc).__name__}") from exc


class SmsGateway:
    """One SMS provider's HTTP API. Subclasses exist per provider and register themselves by
    name in SMS_PROVIDERS; CARE365_SMS_PROVIDER picks one.

    One gateway object serves a run of messages over one kept-alive connection (a storm sends
    hundreds a second), reopened when the gateway closes it; `close` ends it."""

    name: ClassVar[str] = ""

    def __init__(self, *, url: str, secret: str) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ChannelError("the SMS gateway URL must be http(s)", permanent=True)
        self.url = url
        self.secret = secret
        self._parts = parts
        self._connection: http.client.HTTPConnection | None = None

    def send(self, *, to: str, text: str, key: str) -> None:
        raise NotImplementedError

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            parts = self._parts
            host = parts.hostname or ""
            if parts.scheme == "https":
                self._connection = http.client.HTTPSConnection(
                    host, parts.port, timeout=SMS_TIMEOUT_SECONDS
                )
            else:
                self._connection = http.client.HTTPConnection(
                    host, parts.port, timeout=SMS_TIMEOUT_SECONDS
                )
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def post(self, body: bytes, headers: Mapping[str, str]) -> None:
        path = self._parts.path or "/"
        if self._parts.query:
            path = f"{path}?{self._parts.query}"
        for attempt in (1, 2):
            fresh = self._connection is None
            try:
                connection = self._connect()
                connection.request("POST", path, body=body, headers=dict(headers))
                response = connection.getresponse()
                response.read()
            except (http.client.HTTPException, OSError) as exc:
                self.close()
                # A kept-alive connection the gateway has closed meanwhile: once more on a new
                # one (should the first have arrived after all, the idempotency key tells).
                if attempt == 1 and not fresh:
                    continue
                raise ChannelError(f"SMS gateway unreachable: {type(exc).__name__}") from exc
            if response.will_close:
                self.close()
            code = response.status
            if 200 <= code < 300:
                return
            # A gateway that calls the request wrong will not change its mind; a busy or broken
            # one may.
            permanent = 300 <= code < 500 and code not in (408, 425, 429)
            raise ChannelError(f"SMS gateway answered {code}", permanent=permanent)


SMS_PROVIDERS: dict[str, type[SmsGateway]] = {}


def register_sms_provider(cls: type[SmsGateway]) -> type[SmsGateway]:
    """Class decorator: make a gateway available under its `name`."""
    SMS_PROVIDERS[cls.name] = cls
    return cls


@register_sms_provider
class GenericJsonGateway(SmsGateway):
    """A JSON POST {"to", "text", "idempotency_key"}, signed with an `X-Signature:
    sha256=<hex>` header (HMAC-SHA256 of the body under CARE365_SMS_GATEWAY_SECRET), the key
    repeated in an `Idempotency-Key` header."""

    name = "generic"

    def send(self, *, to: str, text: str, key: str) -> None:
        body = json.dumps(
            {"to": to, "text": text, "idempotency_key": key},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        self.post(
            body,
            {
                "Content-Type": "application/json; charset=utf-8",
                "X-Signature": f"sha256={sign(body, self.secret)}",
                "Idempotency-Key": key,
            },
        )


SMS_OFF = (
    "SMS is off: no SMS gateway is configured (CARE365_SMS_GATEWAY_URL, docs/settings.md); "
    "alerts reach people in the app and by email, and their SMS are recorded as failed"
)


def sms_configured() -> bool:
    return bool(settings.SMS_GATEWAY_URL)


def sms_gateway() -> SmsGateway:
    """The configured gateway; a permanent ChannelError when SMS is not configured."""
    if not sms_configured():
        raise ChannelError(
            "no SMS gateway is configured (CARE365_SMS_GATEWAY_URL)", unconfigured=True
        )
    provider = SMS_PROVIDERS.get(settings.SMS_PROVIDER)
    if provider is None:
        raise ChannelError(f"unknown SMS provider {settings.SMS_PROVIDER!r}", permanent=True)
    return provider(url=settings.SMS_GATEWAY_URL, secret=settings.SMS_GATEWAY_SECRET)


# --- webhooks to organisations' own systems (docs/network.md, "Webhooks") -----------------------

SIGNATURE_HEADER = "X-Care365-Signature"
EVENT_HEADER = "X-Care365-Event"


def webhook_signature(body: bytes, secret: str, timestamp: int) -> str:
    """The `X-Care365-Signature` header of a delivery: `t=<unix time>,v1=<hex>`, where the hex is
    the HMAC-SHA256 of `"<t>.<body>"` under the endpoint's secret. The time is signed with the
    body, so a receiver that refuses old timestamps cannot be fed a captured delivery again."""
    signed = str(int(timestamp)).encode("ascii") + b"." + body
    return f"t={int(timestamp)},v1={sign(signed, secret)}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_url_problem(url: str) -> str:
    """Why a URL cannot be a webhook endpoint (in the active language), or "" if it can: it must
    be http or https with a host and no user name or password in it; with CARE365_PRODUCTION on,
    https only, but for a receiver on the machine itself (loopback), so deliveries and their
    signatures never cross a network in the clear."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018  # raises ValueError for a port out of range
    except ValueError:
        return _("Enter a valid http or https address.")
    if parts.scheme not in ("http", "https") or not host:
        return _("Enter an address that starts with https:// (or http://).")
    if parts.username or parts.password:
        return _("Leave the user name and password out of the address.")
    if settings.PRODUCTION and parts.scheme == "http" and not _loopback(host):
        return _("Enter an https:// address: webhooks are not sent over plain http.")
    return ""


class WebhookChannel:
    """POSTs a delivery's JSON to its endpoint, signed with the endpoint's secret: a connection
    per delivery (endpoints are many receivers, each told rarely), closed after the answer."""

    def send(self, *, url: str, secret: str, body: bytes, key: str, event: str) -> None:
        problem = webhook_url_problem(url)
        if problem:
            raise ChannelError("the endpoint's address is refused", permanent=True)
        parts = urllib.parse.urlsplit(url)
        connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(
            parts.hostname or "", parts.port, timeout=WEBHOOK_TIMEOUT_SECONDS
        )
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Care365-Webhooks/1",
            SIGNATURE_HEADER: webhook_signature(body, secret, int(time.time())),
            "Idempotency-Key": key,
            EVENT_HEADER: event,
        }
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            # Only the status is kept: what a receiver answers is never stored or shown.
            response.read(1024)
        except (http.client.HTTPException, OSError) as exc:
            raise ChannelError(f"endpoint unreachable: {type(exc).__name__}") from exc
        finally:
            connection.close()
        code = response.status
        if 200 <= code < 300:
            return
        # Redirects are not followed (the signed request goes where the county said). A receiver
        # that calls the request wrong will not change its mind; a busy or broken one may.
        permanent = 300 <= code < 500 and code not in (408, 425, 429)
        raise ChannelError(f"endpoint answered {code}", permanent=permanent)
