"""Two-step sign-in's rules: enrolment, RFC 6238 codes, replay, recovery codes, turning it off.
The sign-in pages and the API are tested in web/tests/pages/test_security.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from care365.accounts import throttle, totp
from care365.accounts.models import RecoveryCode, TotpDevice, User
from care365.core.models import AuditEvent
from conftest import Personas

pytestmark = pytest.mark.django_db

IP = "10.1.1.1"


def _code(device: TotpDevice, at: Any, steps: int = 0) -> str:
    return pyotp.TOTP(device.secret).at(at + timedelta(seconds=30 * steps))


def _wrong(device: TotpDevice) -> str:
    """A six-digit code that no step near now has."""
    near = {_code(device, timezone.now(), steps) for steps in range(-2, 3)}
    return next(
        c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c not in near
    )


def enrolled(user: User) -> tuple[TotpDevice, list[str]]:
    device = totp.device_start(user=user)
    codes = totp.device_confirm(user=user, code=_code(device, timezone.now()), ip=IP)
    device.refresh_from_db()
    return device, codes


def test_rfc_6238_reference_values() -> None:
    """pyotp's codes are RFC 6238's (appendix B, SHA-1, 8 digits at T=59 and T=1111111109)."""
    seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert pyotp.TOTP(seed, digits=8).at(59) == "94287082"
    assert pyotp.TOTP(seed, digits=8).at(1111111109) == "07081804"


def test_enrolment_gives_a_key_and_an_otpauth_uri(personas: Personas) -> None:
    device = totp.device_start(user=personas.admin)
    enrolment = totp.enrolment(device)
    uri = urlparse(enrolment.uri)
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert parse_qs(uri.query)["secret"] == [enrolment.secret]
    assert parse_qs(uri.query)["issuer"] == ["Care365"]
    assert len(enrolment.secret) >= 32  # 160 bits
    assert totp.confirmed_device(personas.admin) is None  # not on before it is confirmed
    assert not totp.second_step_needed(personas.admin)


def test_the_secret_is_encrypted_at_rest(personas: Personas) -> None:
    device = totp.device_start(user=personas.admin)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_totpdevice WHERE id = %s", [device.pk])
        (stored,) = cursor.fetchone()
    assert device.secret not in stored and stored.startswith("gAAAA")  # a Fernet token


def test_confirming_needs_the_apps_code_and_gives_ten_hashed_recovery_codes(
    personas: Personas,
) -> None:
    user = personas.admin
    device = totp.device_start(user=user)
    with pytest.raises(ValidationError):
        totp.device_confirm(user=user, code=_wrong(device), ip=IP)
    codes = totp.device_confirm(user=user, code=_code(device, timezone.now()), ip=IP)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert totp.second_step_needed(user)
    stored = list(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert AuditEvent.objects.filter(action="totp_confirm").count() == 1


def test_a_code_works_once_and_within_one_step_of_drift(personas: Personas) -> None:
    user = personas.admin
    device, _codes = enrolled(user)
    later = timezone.now() + timedelta(minutes=2)
    assert totp.verify(user=user, code=_code(device, later), ip=IP, at=later) == "totp"
    # The same code again (seen over a shoulder, or replayed) is refused.
    assert totp.verify(user=user, code=_code(device, later), ip=IP, at=later) is None
    # A code 30 s old is still taken (a slow typist), if no later one was used; 90 s old is not.
    later2 = later + timedelta(minutes=2)
    assert totp.verify(user=user, code=_code(device, later2, -3), ip=IP, at=later2) is None
    assert totp.verify(user=user, code=_code(device, later2, -1), ip=IP, at=later2) == "totp"
    assert totp.verify(user=user, code=_code(device, later2, 1), ip=IP, at=later2) == "totp"


def test_a_recovery_code_works_once(personas: Personas) -> None:
    user = personas.admin
    _device, codes = enrolled(user)
    assert totp.verify(user=user, code=codes[0].upper().replace("-", " "), ip=IP) == "recovery"
    assert totp.verify(user=user, code=codes[0], ip=IP) is None
    assert totp.recovery_codes_left(user) == 9
    assert AuditEvent.objects.filter(action="recovery_code_use").count() == 1


def test_another_users_recovery_code_does_not_work(personas: Personas) -> None:
    _d, admin_codes = enrolled(personas.admin)
    enrolled(personas.supervisor_a)
    assert totp.verify(user=personas.supervisor_a, code=admin_codes[0], ip=IP) is None


def test_new_recovery_codes_replace_the_old_ones(personas: Personas) -> None:
    user = personas.admin
    device, old = enrolled(user)
    later = timezone.now() + timedelta(minutes=1)
    new = totp.recovery_codes_renew(user=user, code=_code(device, later), ip=IP, at=later)
    assert not set(new) & set(old)
    assert totp.verify(user=user, code=old[1], ip=IP) is None
    assert totp.verify(user=user, code=new[1], ip=IP) == "recovery"


def test_turning_off_needs_a_code_and_is_refused_for_a_role_that_must_use_codes(
    personas: Personas, settings: Any
) -> None:
    user = personas.admin
    device, _codes = enrolled(user)
    with pytest.raises(ValidationError):
        totp.device_remove(user=user, code="12345", ip=IP)
    settings.REQUIRE_TOTP_FOR = ["county_admin"]
    later = timezone.now() + timedelta(minutes=1)
    with pytest.raises(ValidationError):
        totp.device_remove(user=user, code=_code(device, later), ip=IP, at=later)
    settings.REQUIRE_TOTP_FOR = []
    totp.device_remove(user=user, code=_code(device, later), ip=IP, at=later)
    assert not TotpDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert not totp.second_step_needed(user)


def test_starting_again_is_refused_while_an_app_is_confirmed(personas: Personas) -> None:
    enrolled(personas.admin)
    with pytest.raises(ValidationError):
        totp.device_start(user=personas.admin)


def test_wrong_codes_count_against_the_sign_in_throttle(personas: Personas) -> None:
    user = personas.admin
    device, _codes = enrolled(user)
    at = timezone.now() + timedelta(minutes=5)
    right = _code(device, at)
    wrong = next(
        c for c in ("000000", "111111") if c not in {_code(device, at, s) for s in (-1, 0, 1)}
    )
    for _ in range(5):
        assert totp.verify(user=user, code=wrong, ip=IP, at=at) is None
    with pytest.raises(throttle.SignInThrottledError):
        totp.verify(user=user, code=right, ip=IP, at=at)


def test_roles_that_must_use_codes(personas: Personas, settings: Any) -> None:
    settings.REQUIRE_TOTP_FOR = ["county_admin", "supervisor"]
    assert totp.required_for(personas.admin) and totp.required_for(personas.supervisor_a)
    assert not totp.required_for(personas.director_a)
    assert not totp.required_for(personas.outsider)
    assert totp.second_step_needed(personas.admin)


def test_an_operator_can_reset_a_lost_app_from_the_command_line(personas: Personas) -> None:
    from io import StringIO

    from django.core.management import call_command

    enrolled(personas.admin)
    out = StringIO()
    call_command("totp_reset", "admin", "--dry-run", stdout=out)
    assert "would remove: an authenticator app" in out.getvalue()
    assert totp.second_step_needed(personas.admin)
    call_command("totp_reset", "admin", stdout=out)
    assert not totp.second_step_needed(personas.admin)
    assert not RecoveryCode.objects.filter(user=personas.admin).exists()
    assert AuditEvent.objects.filter(action="totp_reset", object_id=personas.admin.pk).exists()
