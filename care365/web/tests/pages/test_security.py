"""Sign-in and the web: throttling on the page and the API alike, two-step sign-in with codes,
session time-outs, security headers, templates a strict Content-Security-Policy can serve, and
production settings (`check --deploy` clean; demo settings refused)."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from cryptography.fernet import Fernet
from django.conf import settings as project_settings
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts import totp
from care365.accounts.models import LoginAttempt, TotpDevice, User
from care365.web import security
from conftest import Personas

pytestmark = pytest.mark.django_db

ROOT = Path(project_settings.BASE_DIR)
TOKEN_URL = "/api/v1/auth/token"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def client() -> Client:
    """English unless a test asks for another language (the default language is Chinese)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def sign_in(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(reverse("web:login"), {"username": username, "password": password}, **extra)


def token(client: Client, body: dict[str, str], language: str = "en") -> Any:
    return client.post(
        TOKEN_URL,
        json.dumps(body),
        content_type="application/json",
        headers={"Accept-Language": language},
    )


def page_messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def code_now(user: User, steps: int = 0) -> str:
    device = TotpDevice.objects.get(user=user)
    return pyotp.TOTP(device.secret).at(timezone.now() + timedelta(seconds=30 * steps))


def enrol(user: User) -> list[str]:
    device = totp.device_start(user=user)
    return totp.device_confirm(user=user, code=pyotp.TOTP(device.secret).now(), ip="10.9.9.9")


# Throttling ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expect"),
    [("en", "Too many failed sign-ins. Try again in 15 minutes."), ("zh-hans", CJK)],
)
def test_after_five_failures_the_page_refuses_even_the_right_password(
    client: Client, personas: Personas, language: str, expect: Any
) -> None:
    for _ in range(5):
        response = sign_in(client, "director", "wrong", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        assert "Too many" not in response.content.decode()
    response = sign_in(client, "director", personas.password, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200  # the form again, not a redirect
    error = response.context["form"].non_field_errors()[0]
    assert error == expect if isinstance(expect, str) else expect.search(error)
    assert "_auth_user_id" not in client.session


def test_the_page_and_the_api_share_one_throttle(client: Client, personas: Personas) -> None:
    for _ in range(3):
        sign_in(client, "director", "wrong")
    for _ in range(2):
        assert token(client, {"username": "director", "password": "wrong"}).status_code == 401
    response = token(client, {"username": "director", "password": personas.password})
    assert response.status_code == 429
    assert response.json() == {
        "detail": "Too many failed sign-ins. Try again in 15 minutes.",
        "errors": {},
    }
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    # ...and the other way round: the API's failures lock the page for another user.
    for _ in range(5):
        token(client, {"username": "supervisor", "password": "wrong"})
    page = sign_in(client, "supervisor", personas.password)
    assert "Too many failed sign-ins" in page.content.decode()


def test_the_api_throttle_message_is_in_the_callers_language(
    client: Client, personas: Personas
) -> None:
    for _ in range(5):
        token(client, {"username": "director", "password": "wrong"})
    response = token(client, {"username": "director", "password": "wrong"}, language="zh-hans")
    assert response.status_code == 429 and CJK.search(response.json()["detail"])


def test_one_address_is_locked_after_its_own_limit_across_usernames(
    client: Client, personas: Personas, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_IP = 6
    for n in range(6):
        sign_in(client, f"nobody{n}", "wrong", REMOTE_ADDR="198.51.100.4")
    refused = sign_in(client, "director", personas.password, REMOTE_ADDR="198.51.100.4")
    assert "Too many failed sign-ins" in refused.content.decode()
    elsewhere = sign_in(client, "director", personas.password, REMOTE_ADDR="198.51.100.5")
    assert elsewhere.status_code == 302


def test_a_complete_sign_in_clears_the_usernames_failures(
    client: Client, personas: Personas
) -> None:
    for _ in range(4):
        sign_in(client, "director", "wrong")
    assert sign_in(client, "director", personas.password).status_code == 302
    client.logout()
    for _ in range(4):
        sign_in(client, "director", "wrong")
    assert sign_in(client, "director", personas.password).status_code == 302


def test_django_admin_login_is_throttled_too(client: Client, personas: Personas) -> None:
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": "admin", "password": "wrong"})
    response = client.post(url, {"username": "admin", "password": personas.password})
    assert "Too many failed sign-ins" in response.content.decode()


def test_no_username_or_password_reaches_the_logs(
    client: Client, personas: Personas, caplog: Any
) -> None:
    secret = "Hunter2-not-my-password"
    with caplog.at_level(logging.DEBUG):
        for _ in range(6):
            sign_in(client, "director-of-nowhere", secret)
            token(client, {"username": "director-of-nowhere", "password": secret})
    assert "director-of-nowhere" not in caplog.text
    assert secret not in caplog.text
    stored = " ".join(str(v) for row in LoginAttempt.objects.values() for v in row.values())
    assert "director-of-nowhere" not in stored


# Two-step sign-in ------------------------------------------------------------------------------


def test_enrol_on_the_page_then_sign_in_asks_for_the_code(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.supervisor_a)
    page = client.get(reverse("web:two-factor"))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    client.post(reverse("web:two-factor-start"))
    page = client.get(reverse("web:two-factor"))
    html = page.content.decode()
    device = TotpDevice.objects.get(user=personas.supervisor_a)
    assert device.confirmed_at is None
    assert "otpauth://totp/Care365:supervisor?secret=" + device.secret in html.replace("&amp;", "&")
    assert '<svg width="' in html and "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # the QR code is no script

    wrong = client.post(reverse("web:two-factor-confirm"), {"code": "12345"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    confirmed = client.post(
        reverse("web:two-factor-confirm"), {"code": code_now(personas.supervisor_a)}
    )
    assert confirmed.status_code == 200
    codes = confirmed.context["codes"]
    assert len(codes) == 10 and all(code in confirmed.content.decode() for code in codes)
    client.logout()

    # The password alone no longer signs in: it leads to the code step.
    response = sign_in(client, "supervisor", personas.password)
    assert response["Location"] == reverse("web:login-code")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("web:home"))["Location"].startswith(reverse("web:login"))
    bad = client.post(reverse("web:login-code"), {"code": "000000"})
    assert bad.status_code == 200 and "_auth_user_id" not in client.session
    good = client.post(reverse("web:login-code"), {"code": code_now(personas.supervisor_a, 1)})
    assert good.status_code == 302 and good["Location"] == reverse("web:home")
    assert client.get(reverse("web:home")).status_code == 200


def test_a_code_cannot_be_used_twice(client: Client, personas: Personas) -> None:
    enrol(personas.admin)
    code = code_now(personas.admin, 1)
    sign_in(client, "admin", personas.password)
    assert client.post(reverse("web:login-code"), {"code": code}).status_code == 302
    client.logout()
    sign_in(client, "admin", personas.password)
    again = client.post(reverse("web:login-code"), {"code": code})
    assert again.status_code == 200 and "_auth_user_id" not in client.session


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(
    client: Client, personas: Personas
) -> None:
    codes = enrol(personas.admin)
    sign_in(client, "admin", personas.password)
    response = client.post(reverse("web:login-code"), {"code": codes[3]}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:home")
    assert any("9" in m and "recovery code" in m for m in page_messages(response))
    client.logout()
    sign_in(client, "admin", personas.password)
    assert client.post(reverse("web:login-code"), {"code": codes[3]}).status_code == 200


def test_the_code_step_expires_and_cannot_be_reached_without_the_password(
    client: Client, personas: Personas
) -> None:
    enrol(personas.admin)
    assert client.get(reverse("web:login-code"))["Location"] == reverse("web:login")
    sign_in(client, "admin", personas.password)
    session = client.session
    session["care365_pending_sign_in"]["at"] -= 301
    session.save()
    response = client.post(reverse("web:login-code"), {"code": code_now(personas.admin)})
    assert response["Location"] == reverse("web:login")


def test_wrong_codes_are_throttled_like_passwords(client: Client, personas: Personas) -> None:
    enrol(personas.admin)
    sign_in(client, "admin", personas.password)
    for _ in range(5):
        client.post(reverse("web:login-code"), {"code": "000000"})
    response = client.post(reverse("web:login-code"), {"code": code_now(personas.admin, 1)})
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_required_role_sets_up_the_app_while_signing_in(
    client: Client, personas: Personas, settings: Any
) -> None:
    settings.REQUIRE_TOTP_FOR = ["county_admin", "supervisor"]
    response = sign_in(client, "admin", personas.password)
    assert response["Location"] == reverse("web:login-enrol")
    page = client.get(response["Location"])
    assert page.status_code == 200 and "otpauth://totp/" in page.content.decode()
    assert "_auth_user_id" not in client.session
    done = client.post(reverse("web:login-enrol"), {"code": code_now(personas.admin)})
    assert done.status_code == 200 and len(done.context["codes"]) == 10
    assert client.get(reverse("web:home")).status_code == 200
    # A director is not asked.
    other = Client()
    assert sign_in(other, "director", personas.password)["Location"] == reverse("web:home")


def test_a_password_only_session_cannot_be_used_by_an_account_that_needs_a_code(
    client: Client, personas: Personas, settings: Any
) -> None:
    """Django's admin login (or a session from before codes were required) signs in with the
    password alone; the next request signs such a session out."""
    enrol(personas.admin)
    client.force_login(personas.admin)
    response = client.get(reverse("web:home"))
    assert response["Location"].startswith(reverse("web:login"))
    assert "_auth_user_id" not in client.session

    settings.REQUIRE_TOTP_FOR = ["supervisor"]
    client.force_login(personas.supervisor_a)
    assert client.get(reverse("web:home"))["Location"].startswith(reverse("web:login"))
    settings.REQUIRE_TOTP_FOR = []
    client.force_login(personas.director_a)
    assert client.get(reverse("web:home")).status_code == 200


def test_turning_two_step_sign_in_off_needs_a_code(client: Client, personas: Personas) -> None:
    codes = enrol(personas.director_a)
    sign_in(client, "director", personas.password)
    client.post(reverse("web:login-code"), {"code": codes[0]})
    refused = client.post(reverse("web:two-factor-remove"), {"code": "123"})
    assert refused.status_code == 200 and TotpDevice.objects.filter(user=personas.director_a)
    done = client.post(reverse("web:two-factor-remove"), {"code": code_now(personas.director_a, 1)})
    assert done["Location"] == reverse("web:two-factor")
    assert not TotpDevice.objects.filter(user=personas.director_a).exists()


def test_the_api_asks_an_account_with_two_step_sign_in_for_its_code(
    client: Client, personas: Personas, settings: Any
) -> None:
    codes = enrol(personas.admin)
    body = {"username": "admin", "password": personas.password}
    missing = token(client, body)
    assert missing.status_code == 401 and "code" in missing.json()["detail"]
    assert token(client, {**body, "code": "000000"}).status_code == 401
    assert token(client, {**body, "code": code_now(personas.admin, 1)}).status_code == 200
    assert token(client, {**body, "code": codes[0]}).status_code == 200
    settings.REQUIRE_TOTP_FOR = ["supervisor"]
    unenrolled = token(client, {"username": "supervisor", "password": personas.password})
    assert unenrolled.status_code == 401


# Session time-outs -----------------------------------------------------------------------------


def test_idle_sessions_are_signed_out_with_a_message(
    client: Client, personas: Personas, settings: Any
) -> None:
    settings.SESSION_IDLE_SECONDS = 30 * 60
    client.force_login(personas.director_a)
    assert client.get(reverse("web:home")).status_code == 200
    session = client.session
    session[security.SEEN_AT] -= 29 * 60
    session.save()
    assert client.get(reverse("web:home")).status_code == 200  # 29 minutes: still in
    session = client.session
    assert session[security.SEEN_AT] >= timezone.now().timestamp() - 5  # activity noted
    session[security.SEEN_AT] -= 31 * 60
    session.save()
    response = client.get(reverse("web:home"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain[-1][0].startswith(reverse("web:login"))
    assert "You were signed out after 30 minutes without activity." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_event_streams_reconnections_are_not_activity(
    client: Client, personas: Personas
) -> None:
    """A page left open keeps its event stream reconnecting; that must not keep the session."""
    client.force_login(personas.director_a)
    session = client.session
    session[security.SEEN_AT] -= 10 * 60
    session.save()
    seen = session[security.SEEN_AT]
    client.get(reverse("web:home"), headers={"Accept": "text/event-stream"})
    assert client.session[security.SEEN_AT] == seen
    client.get(reverse("web:home"))
    assert client.session[security.SEEN_AT] > seen


def test_a_session_ends_after_its_absolute_age_however_active(
    client: Client, personas: Personas, settings: Any
) -> None:
    client.force_login(personas.director_a)
    session = client.session
    session[security.SIGNED_IN_AT] -= settings.SESSION_COOKIE_AGE + 1
    session.save()
    response = client.get(reverse("web:home"))
    assert response["Location"].startswith(reverse("web:login"))
    assert "_auth_user_id" not in client.session


def test_an_idle_api_session_gets_401(client: Client, personas: Personas) -> None:
    client.force_login(personas.director_a)
    assert client.get("/api/v1/children").status_code == 200
    session = client.session
    session[security.SEEN_AT] -= 31 * 60
    session.save()
    assert client.get("/api/v1/children").status_code == 401


def test_the_session_is_not_written_on_every_request(client: Client, personas: Personas) -> None:
    client.force_login(personas.director_a)
    client.get(reverse("web:home"))
    key = client.session.session_key
    from django.contrib.sessions.models import Session

    before = Session.objects.get(session_key=key).expire_date
    client.get(reverse("web:home"))
    assert Session.objects.get(session_key=key).expire_date == before


# Headers ---------------------------------------------------------------------------------------

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)


@pytest.mark.parametrize(
    "path", ["/login/", "/", "/children/", "/account/two-step/", "/api/v1/docs", "/api/v1/children"]
)
def test_every_response_carries_the_strict_policy_and_headers(
    client: Client, personas: Personas, path: str
) -> None:
    client.force_login(personas.admin)
    response = client.get(path)
    assert response.status_code in (200, 302)
    assert response["Content-Security-Policy"] == STRICT_CSP
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_api_docs_have_no_inline_script_so_need_no_exception(client: Client) -> None:
    html = client.get("/api/v1/docs").content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag  # JSON data is not run
    assert not re.search(r"\son[a-z]+\s*=", html) and "style=" not in html


def test_no_template_has_inline_script_style_or_handlers() -> None:
    """Every template of the project, so the policy never needs 'unsafe-inline'."""
    templates = list((ROOT / "care365").rglob("templates/**/*.html"))
    assert len(templates) > 20
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"<style\b", text), path
        assert not re.search(r"\sstyle\s*=", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert "javascript:" not in text.lower(), path


def test_ssl_redirect_and_hsts_in_production(client: Client, settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/login/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    secure = client.get("/login/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# Production settings ---------------------------------------------------------------------------


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("CARE365_", "DJANGO_"))}
    keep.pop("DATABASE_URL", None)
    return {
        **keep,
        "CARE365_PRODUCTION": "true",
        "CARE365_SECRET_KEY": secrets.token_urlsafe(50),
        "CARE365_FIELD_KEYS": Fernet.generate_key().decode(),
        "CARE365_HASH_KEY": secrets.token_urlsafe(32),
        "CARE365_AUDIT_KEYS": secrets.token_urlsafe(32),
        "CARE365_ALLOWED_HOSTS": "care365.county.example",
        "CARE365_DATA_DIR": str(tmp_path),
        "CARE365_REQUIRE_TOTP_FOR": "county_admin,supervisor",
        **extra,
    }


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # the project's own manage.py
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = _manage(_production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr.upper()


@pytest.mark.parametrize(
    "extra",
    [
        {"CARE365_DEMO": "true"},
        {"CARE365_DEBUG": "true"},
        {"CARE365_SECRET_KEY": project_settings.DEMO_SECRET_KEY},
        {"CARE365_FIELD_KEYS": project_settings.DEMO_FIELD_KEY},
        {"CARE365_HASH_KEY": project_settings.DEMO_HASH_KEY},
        {"CARE365_AUDIT_KEYS": project_settings.DEMO_AUDIT_KEY},
        {"CARE365_AUDIT_KEYS": f"{secrets.token_urlsafe(32)},{project_settings.DEMO_AUDIT_KEY}"},
        {"CARE365_AUDIT_KEYS": "too-short-a-key"},
        {"CARE365_PRODUCTION": "false", "CARE365_SECRET_KEY": project_settings.DEMO_SECRET_KEY},
    ],
    ids=[
        "demo-mode",
        "debug",
        "demo-secret-key",
        "demo-field-key",
        "demo-hash-key",
        "demo-audit-key",
        "retired-demo-audit-key",
        "short-audit-key",
        "no-flag",
    ],
)
def test_production_refuses_to_start_with_demo_settings_or_keys(
    tmp_path: Path, extra: dict[str, str]
) -> None:
    result = _manage(_production_env(tmp_path, **extra), "check")
    assert result.returncode != 0
    assert "ImproperlyConfiguredError" in result.stderr


def test_production_without_keys_refuses_to_start(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    del env["CARE365_SECRET_KEY"]
    result = _manage(env, "check")
    assert result.returncode != 0 and "CARE365_SECRET_KEY is required" in result.stderr


def test_production_without_an_audit_key_refuses_to_start(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    del env["CARE365_AUDIT_KEYS"]
    result = _manage(env, "check")
    assert result.returncode != 0 and "CARE365_AUDIT_KEYS is required" in result.stderr


def test_the_audit_key_must_not_be_another_key(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    env["CARE365_AUDIT_KEYS"] = env["CARE365_HASH_KEY"]
    result = _manage(env, "check")
    assert result.returncode != 0 and "must not reuse" in result.stderr


def test_an_unknown_role_in_require_totp_for_fails_the_checks(settings: Any) -> None:
    settings.REQUIRE_TOTP_FOR = ["county_admin", "superviser"]
    with pytest.raises(SystemCheckError, match="superviser"):
        call_command("check")


def test_every_environment_variable_is_documented() -> None:
    """Secrets and switches come only from the environment, each one in docs/settings.md."""
    source = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r"env_\w+\(\s*\"([A-Z0-9_]+)\"", source))
    assert {"CARE365_SECRET_KEY", "CARE365_SESSION_IDLE_SECONDS", "CARE365_PRODUCTION"} <= names
    documented = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert sorted(n for n in names if f"`{n}`" not in documented) == []
