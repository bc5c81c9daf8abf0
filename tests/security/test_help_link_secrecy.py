"""A family's help link is a secret (its token is the whole credential): it is never written to
a log, and pressing the button works without cookies (issue 12, finding 11).

The log test turns every logger up to DEBUG and reads what Care365's configured handlers write,
after the requests and log records that used to carry the token: a CSRF refusal of the page
(Django's own `_reject`, as before the page was exempt), a revoked link's 404, uvicorn's access
log line, and a traceback whose message holds the address."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.middleware.csrf import REASON_NO_CSRF_COOKIE, CsrfViewMiddleware
from django.test import Client, RequestFactory

from care365.accounts.access import child_get_for_user
from care365.core.logs import RedactSecrets
from care365.protection import services
from care365.protection.models import Alert, HelpLink
from conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def server_log() -> Iterator[io.StringIO]:
    """What the configured handlers write, with every logger at DEBUG."""
    handlers = [
        h
        for h in {*logging.getLogger().handlers, *logging.getLogger("uvicorn.access").handlers}
        if isinstance(h, logging.StreamHandler)
        and any(isinstance(f, RedactSecrets) for f in h.filters)
    ]
    assert handlers, "LOGGING installs the filter on its handlers"
    out = io.StringIO()
    streams = {h: h.setStream(out) for h in handlers}
    loggers = [logging.getLogger(), *map(logging.getLogger, list(logging.root.manager.loggerDict))]
    levels = {lg: lg.level for lg in loggers}
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        for lg, level in levels.items():
            lg.setLevel(level)
        for h, stream in streams.items():
            h.setStream(stream)


def _token(p: Personas) -> str:
    child = child_get_for_user(p.director_a, p.child_a.pk, "view")
    _link, token = services.help_link_issue(actor=p.director_a, child=child)
    return token


def _revoke(p: Personas) -> None:
    link = HelpLink.objects.get(child=p.child_a, revoked_at__isnull=True)
    services.help_link_revoke(actor=p.director_a, link=link)


def test_a_press_without_cookies_raises_the_alert(personas: Personas) -> None:
    """A guardian's phone that keeps no cookies: no CSRF cookie, no token in the form."""
    token = _token(personas)
    phone = Client(enforce_csrf_checks=True)

    page = phone.get(f"/h/{token}/")
    assert page.status_code == 200 and not page.cookies  # the page sets no cookie
    pressed = phone.post(f"/h/{token}/", {"note": ""})

    assert pressed.status_code == 200
    assert Alert.objects.filter(child=personas.child_a, source="help_link").count() == 1


def test_no_log_line_carries_a_help_token(personas: Personas, server_log: io.StringIO) -> None:
    token = _token(personas)
    phone = Client(enforce_csrf_checks=True)
    phone.get(f"/h/{token}/")
    phone.post(f"/h/{token}/", {"note": "孩子不舒服"})
    # Django's CSRF refusal logs the path (how the token reached the log before).
    request = RequestFactory().post(f"/h/{token}/")
    CsrfViewMiddleware(lambda r: None)._reject(request, REASON_NO_CSRF_COOKIE)  # type: ignore[arg-type, return-value]  # never called
    # A revoked link answers 404, which Django logs with the path.
    _revoke(personas)
    assert phone.get(f"/h/{token}/").status_code == 404
    # uvicorn's access log line, as uvicorn writes it.
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "10.0.0.7:51234", "POST", f"/h/{token}/?x=1", "1.1", 200
    )
    try:
        raise ValueError(f"cannot open https://care365.example/h/{token}/")
    except ValueError:
        logging.getLogger("care365").exception("failed")

    written = server_log.getvalue()
    assert token not in written
    assert "Forbidden (CSRF cookie not set.): /h/[redacted]/" in written
    assert "Not Found: /h/[redacted]/" in written
    assert '"POST /h/[redacted]/?x=1 HTTP/1.1" 200' in written
    assert "https://care365.example/h/[redacted]/" in written
