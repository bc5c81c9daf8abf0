"""Two-step sign-in: RFC 6238 codes from an authenticator app, and one-time recovery codes.

Optional for every user; mandatory for the roles in REQUIRE_TOTP_FOR. A user enrols by starting
(a new secret, shown as a key, an otpauth:// URI and a QR code) and confirming with a code from
the app; only then does sign-in ask for a code, and ten recovery codes are issued. The secret is
encrypted at rest (EncryptedTextField); recovery codes are kept as keyed hashes and each works
once. Every code check counts against the sign-in throttle, like a password, and a time step's
code is accepted only once (`TotpDevice.last_step`), so a code seen over a shoulder is useless.

The codes themselves come from pyotp (docs/dependencies.md).
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import pyotp
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts import throttle
from care365.accounts.models import ApiToken, RecoveryCode, TotpDevice, User
from care365.accounts.services import api_tokens_revoke_all
from care365.core import crypto
from care365.core.audit import audit

ISSUER = "Care365"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 10
# A code of the time step before or after the server's is accepted too: a phone's clock may be
# off by a few seconds, and a code typed at the end of its 30 seconds arrives in the next.
DRIFT_STEPS = 1

Kind = Literal["totp", "recovery"]


@dataclass(frozen=True)
class Enrolment:
    """What the user needs to add the account to an authenticator app."""

    secret: str
    uri: str


def required_for(user: User) -> bool:
    """Whether the user's role must sign in with a code (CARE365_REQUIRE_TOTP_FOR)."""
    return bool(user.role) and user.role in settings.REQUIRE_TOTP_FOR


def device_of(user: User) -> TotpDevice | None:
    """The user's authenticator, confirmed or still being set up."""
    return TotpDevice.objects.filter(user=user).first()


def confirmed_device(user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def pending_device(user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()


def second_step_needed(user: User) -> bool:
    """Whether signing in takes a code after the password (or enrolment first, for a role that
    must use codes and has no app yet)."""
    return required_for(user) or confirmed_device(user) is not None


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def enrolment(device: TotpDevice) -> Enrolment:
    uri = pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.get_username(), issuer_name=ISSUER
    )
    return Enrolment(secret=device.secret, uri=uri)


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()[:64]


def _recovery_hash(user: User, code: str) -> str:
    return crypto.lookup_hash(f"recovery:{user.pk}:{_normalise(code)}")


def _matching_step(secret: str, code: str, at: datetime) -> int | None:
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_totp(device: TotpDevice, code: str, at: datetime) -> bool:
    step = _matching_step(device.secret, code, at)
    if step is None:
        return False
    # A conditional update: of two requests with the same code, in any processes, one wins.
    won = TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
    return won == 1


def _use_recovery(user: User, code: str, at: datetime) -> bool:
    used = RecoveryCode.objects.filter(
        user=user, code_hash=_recovery_hash(user, code), used_at__isnull=True
    ).update(used_at=at)
    return used == 1


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _n in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _c in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_recovery_hash(user, code)) for code in codes
    )
    return codes


def verify(*, user: User, code: str, ip: str, at: datetime | None = None) -> Kind | None:
    """Check a code at sign-in: a six-digit code from the app, or an unused recovery code.
    Returns which kind matched, or None. Counts against the sign-in throttle (raises
    SignInThrottledError while the user or address is locked)."""
    device = confirmed_device(user)
    if device is None:
        return None
    at = at or timezone.now()
    code = _normalise(code)
    with throttle.attempt(username=user.get_username(), ip=ip) as current:
        kind: Kind | None = None
        if re.fullmatch(r"\d{6}", code):
            kind = "totp" if _use_totp(device, code, at) else None
        elif code:
            kind = "recovery" if _use_recovery(user, code, at) else None
        current.succeeded = kind is not None
    if kind == "recovery":
        with transaction.atomic():
            audit(actor=user, action="recovery_code_use", obj=user)
    return kind


def _require_code(user: User, code: str, ip: str, at: datetime | None) -> None:
    if verify(user=user, code=code, ip=ip, at=at) is None:
        raise ValidationError({"code": _("This code is not right.")}, code="wrong_code")


@transaction.atomic
def device_start(*, user: User) -> TotpDevice:
    """Begin enrolment with a fresh secret (replacing an unconfirmed one). Refused while an app
    is confirmed: remove it first, with a code from it."""
    if confirmed_device(user) is not None:
        raise ValidationError(_("Two-step sign-in is already on for this account."))
    device, _created = TotpDevice.objects.update_or_create(
        user=user,
        defaults={"secret": pyotp.random_base32(), "created_at": timezone.now(), "last_step": 0},
    )
    return device


def device_confirm(*, user: User, code: str, ip: str, at: datetime | None = None) -> list[str]:
    """Finish enrolment with the app's current code. Returns the recovery codes: shown once,
    kept only as hashes."""
    device = pending_device(user)
    if device is None:
        raise ValidationError(_("Start setting up two-step sign-in first."))
    at = at or timezone.now()
    with throttle.attempt(username=user.get_username(), ip=ip) as current:
        step = _matching_step(device.secret, _normalise(code), at)
        current.succeeded = step is not None
    if step is None:
        raise ValidationError({"code": _("This code is not right.")}, code="wrong_code")
    with transaction.atomic():
        confirmed = TotpDevice.objects.filter(pk=device.pk, confirmed_at__isnull=True).update(
            confirmed_at=at, last_step=step
        )
        if confirmed != 1:
            raise ValidationError(_("Start setting up two-step sign-in first."))
        codes = _new_recovery_codes(user)
        audit(actor=user, action="totp_confirm", obj=device)
        # Tokens issued on the password alone must not outlive the step up to codes.
        api_tokens_revoke_all(actor=user, user=user, why=ApiToken.Revoked.TWO_STEP)
    return codes


def recovery_codes_renew(
    *, user: User, code: str, ip: str, at: datetime | None = None
) -> list[str]:
    """New recovery codes for old ones (all of them stop working), after a code."""
    _require_code(user, code, ip, at)
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit(actor=user, action="recovery_codes_renew", obj=user)
    return codes


def device_remove(*, user: User, code: str, ip: str, at: datetime | None = None) -> None:
    """Turn two-step sign-in off, after a code; not for a role that must use it."""
    if required_for(user):
        raise ValidationError(_("Your role must sign in with a code: it cannot be turned off."))
    _require_code(user, code, ip, at)
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        audit(actor=user, action="totp_remove", obj=user)
        api_tokens_revoke_all(actor=user, user=user, why=ApiToken.Revoked.TWO_STEP)


@transaction.atomic
def device_reset(*, actor: User | None, user: User) -> bool:
    """For a user who lost both the phone and the recovery codes: remove the app and the codes,
    so that the next sign-in sets up a new one (or signs in with the password alone, for a role
    that need not use codes). Whoever does it is in the audit trail. Returns whether there was
    anything to remove."""
    removed, _by_model = TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    if removed:
        audit(actor=actor, action="totp_reset", obj=user)
        api_tokens_revoke_all(actor=actor, user=user, why=ApiToken.Revoked.TWO_STEP)
    return bool(removed)
