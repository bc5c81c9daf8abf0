"""What the console shows at the default log level: what happens and what is wrong with the
server, not every refusal or form error; that SMS is off, once."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.test import Client, override_settings
from django.urls import path

from care365.core.logs import RedactSecrets
from care365.protection import policy
from care365.protection.channels import SMS_OFF
from care365.protection.models import Notification
from care365.protection.services import channels_off, notification_queue, outbox_send
from care365.worker.loop import Worker
from config import urls as site_urls

ROOT = Path(__file__).resolve().parents[3]


def refused(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def form_with_errors(request: HttpRequest) -> HttpResponse:
    return HttpResponseBadRequest("the form again, with its errors")


def missing(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=404)


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# The site's pages too: the error pages link to them.
urlpatterns = [
    path("refused/", refused),
    path("form/", form_with_errors),
    path("missing/", missing),
    path("broken/", broken),
    *site_urls.urlpatterns,
]


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the console handler of settings.LOGGING writes, at the configured levels."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler)
        and any(isinstance(f, RedactSecrets) for f in h.filters)
    ]
    assert handlers, "LOGGING gives the root logger its console handler"
    out = io.StringIO()
    streams = {h: h.setStream(out) for h in handlers}
    try:
        yield out
    finally:
        for h, stream in streams.items():
            h.setStream(stream)


@override_settings(ROOT_URLCONF=__name__)
def test_refusals_and_form_errors_are_not_logged_and_server_errors_are(
    console: io.StringIO,
) -> None:
    client = Client(raise_request_exception=False)
    assert client.get("/refused/").status_code == 403
    assert client.get("/form/").status_code == 400
    assert client.get("/missing/").status_code == 404
    assert console.getvalue() == ""

    assert client.get("/broken/").status_code == 500
    logged = console.getvalue()
    assert "ERROR django.request Internal Server Error: /broken/" in logged
    assert "RuntimeError: a bug" in logged  # with its traceback


# A process as `make demo` runs one: a static file through WhiteNoise under ASGI, every warning
# shown (-W default).
STATIC_UNDER_ASGI = """
import asyncio
from config.asgi import application
path = b"/static/web/care365.css"
scope = {
    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
    "scheme": "http", "path": path.decode(), "raw_path": path, "query_string": b"",
    "root_path": "", "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 5000),
    "server": ("127.0.0.1", 8000),
}
sent = []
async def main():
    requested = []
    async def receive():
        if not requested:
            requested.append(1)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
    async def send(message):
        sent.append(message)
    await application(scope, receive, send)
asyncio.run(main())
print(sent[0]["status"], sum(len(m.get("body", b"")) for m in sent[1:]) > 0)
"""


def test_a_static_file_served_under_asgi_raises_no_warning() -> None:
    """WhiteNoise hands Django a file iterator, which Django warns about on every file."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", CARE365_DEMO="1")
    out = subprocess.run(  # noqa: S603  # our own interpreter and a fixed probe
        [sys.executable, "-W", "default", "-c", STATIC_UNDER_ASGI],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.split() == ["200", "True"]
    assert "StreamingHttpResponse" not in out.stderr


@pytest.mark.django_db
def test_sms_off_is_said_once_when_the_worker_starts_not_for_every_message(
    settings: object, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SMS_GATEWAY_URL = ""  # type: ignore[attr-defined]
    assert channels_off() == [SMS_OFF]
    for n in range(3):
        notification_queue(
            kind=Notification.Kind.CARE_DIGEST,
            recipient=None,
            address=f"1390000000{n}",
            key=f"digest-{n}",
            subject="",
            text="3 visits due",
            channel=policy.SMS,
        )
    with caplog.at_level(logging.INFO):
        Worker().say_started()
        assert outbox_send().failed == 3
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warned == [SMS_OFF]

    settings.SMS_GATEWAY_URL = "https://sms.example.org/send"  # type: ignore[attr-defined]
    assert channels_off() == []
