"""Real parts for the protection tests: an SMTP server (aiosmtpd) and an SMS gateway (http.server)
on loopback, the officer paired with child A, and a clock the tests hold."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from care365.carers.models import CarerRole
from care365.pairing.models import Pairing
from care365.protection.channels import sign
from care365.registry.models import Child
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

GATEWAY_SECRET = "gateway-test-secret"  # a test's shared secret
# 景宁's SMS help number in the tests: the personas' installation runs two counties (景宁 and
# 庆元), so a message from an unknown number needs the number it was sent to.
HELP_NUMBER = "12349"


def help_number_set(p: Personas, *, number: str = HELP_NUMBER) -> None:
    """Set 景宁's SMS help number on its escalation policy (with the default steps)."""
    from care365.protection import policy, services

    document = policy.to_dict(policy.DEFAULT_POLICY)
    services.escalation_policy_update(
        actor=p.admin,
        county=p.county,
        steps=document["steps"],
        repeat_seconds=document["repeat_seconds"],
        sms_number=number,
    )


@pytest.fixture
def help_number(paired: Personas) -> str:
    help_number_set(paired)
    return HELP_NUMBER


@pytest.fixture
def t0() -> datetime:
    """A fixed moment the tests count from (services take `now` explicitly)."""
    return timezone.now().replace(microsecond=0) + timedelta(days=1)


@pytest.fixture
def paired(paired_personas: Personas) -> Personas:
    """Child A is paired (with the officer, the doctor and the volunteer); the officer has a phone
    and an email."""
    personas = paired_personas
    carer = personas.officer.carer
    assert carer is not None
    carer.phone = "13700000001"
    carer.save(update_fields=["phone"])
    personas.officer.email = "officer@police.example"
    personas.officer.save(update_fields=["email"])
    personas.child_a.refresh_from_db()
    return personas


def another_child(p: Personas) -> Child:
    """One more child of village A, paired with the officer like child A: storms of alerts
    need one child each (a second alert for a child with an open one is folded into it)."""
    child = LeftBehindChildFactory.create(village=p.village_a)
    assert p.officer.carer is not None
    Pairing.objects.create(
        child=child, role=CarerRole.POLICE, carer=p.officer.carer, since=date(2026, 1, 1)
    )
    return Child.objects.select_related("village", "village__parent").get(pk=child.pk)


# --- a real SMTP server -------------------------------------------------------------------------


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802  # aiosmtpd's hook name
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    """A free loopback port (aiosmtpd's controller cannot take port 0: it connects to its own
    port to check that the server is up)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()


# --- a real SMS gateway -------------------------------------------------------------------------


@dataclass
class Gateway:
    """Behaves like an SMS gateway: checks the signature, delivers each idempotency key once,
    and fails on demand (`fail_next` requests answer 503)."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)  # every request received
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> message
    duplicates: int = 0
    fail_next: int = 0
    close_after_each: bool = False  # answer with "Connection: close", as some gateways do
    connections: set[tuple[str, int]] = field(default_factory=set)  # client addresses seen
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps connections alive, as real gateways do
        disable_nagle_algorithm = True  # headers and body leave at once, as from a real server

        def do_POST(self) -> None:  # http.server's hook name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            signature = self.headers.get("X-Signature", "")
            record = {
                "body": body,
                "signature": signature,
                "key": self.headers.get("Idempotency-Key", ""),
                "valid": signature == f"sha256={sign(body, GATEWAY_SECRET)}",
            }
            with gateway.lock:
                gateway.requests.append(record)
                gateway.connections.add(self.client_address)
                if gateway.fail_next > 0:
                    gateway.fail_next -= 1
                    status = 503
                elif not record["valid"]:
                    status = 401
                else:
                    message = json.loads(body)
                    if message["idempotency_key"] in gateway.delivered:
                        gateway.duplicates += 1
                    else:
                        gateway.delivered[message["idempotency_key"]] = message
                    status = 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            if gateway.close_after_each:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:  # the base's name
            pass

    return Handler


@pytest.fixture
def gateway(settings: Any) -> Iterator[Gateway]:
    state = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    settings.SMS_GATEWAY_URL = state.url
    settings.SMS_GATEWAY_SECRET = GATEWAY_SECRET
    settings.SMS_PROVIDER = "generic"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
