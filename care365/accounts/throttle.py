"""Sign-in throttling, shared by every way in: the sign-in page, its code step, the API's token
endpoint and Django's admin (they all go through `Care365Backend` or `attempt`).

After LOGIN_FAILURES failed attempts for one username, or LOGIN_FAILURES_PER_IP from one
address, within LOGIN_WINDOW_SECONDS, further attempts are refused until LOGIN_LOCKOUT_SECONDS
after the last failure. The count lives in the database (`LoginAttempt`), so many app processes
behind a load balancer share it, and it is race-free: each attempt writes its row *before* it
counts the others and before the password is checked, so of any number of simultaneous attempts
at most the allowed number are let through. A refused attempt removes its row again, so
hammering on a locked account does not lengthen the lock.

The failure that locks a username also revokes every API token of that account.

Usernames and addresses are kept only as keyed hashes; nothing here logs either.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext

from care365.accounts.models import ApiToken, LoginAttempt, User
from care365.accounts.services import api_tokens_revoke_all


class SignInThrottledError(ValidationError):
    """Too many failed sign-ins: refused until `until`. A ValidationError, so a sign-in form
    shows its message like any other; the API answers it with 429."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        minutes = self.minutes
        super().__init__(
            ngettext(
                "Too many failed sign-ins. Try again in %(minutes)d minute.",
                "Too many failed sign-ins. Try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes},
            code="throttled",
        )

    @property
    def seconds(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds()))

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds / 60))


@dataclass
class Attempt:
    """One attempt under way; the caller marks it `succeeded` when the credentials were right."""

    row: LoginAttempt
    succeeded: bool = False


def client_ip(request: HttpRequest | None) -> str:
    """The caller's address. Behind a proxy the ASGI server (uvicorn --forwarded-allow-ips) has
    already put the client's address here from X-Forwarded-For: no header is trusted here."""
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))


def _key(kind: str, value: str) -> str:
    return salted_hmac("care365.accounts.throttle", f"{kind}:{value}").hexdigest()


def user_key(username: str) -> str:
    """The throttle's key for a username: the same for "Admin" and " admin"."""
    return _key("user", username.strip().casefold())


def _window() -> timedelta:
    return timedelta(seconds=settings.LOGIN_WINDOW_SECONDS)


def _lockout() -> timedelta:
    return timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)


def _locked_until(field: str, key: str, limit: int, *, own: int, now: datetime) -> datetime | None:
    """When the lock on `key` ends, if `limit` failures (other than the attempt `own`) fell
    within one window and the last of them was less than a lockout ago."""
    if limit <= 0:
        return None
    recent = list(
        LoginAttempt.objects.filter(**{field: key}, at__gte=now - _window() - _lockout())
        .exclude(pk=own)
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    newest, oldest = recent[0], recent[-1]
    until = newest + _lockout()
    if newest - oldest <= _window() and now < until:
        return until
    return None


@contextmanager
def attempt(*, username: str, ip: str) -> Iterator[Attempt]:
    """Count one sign-in attempt: refused at once (SignInThrottledError) while the username or
    the address is locked, otherwise kept as a failure unless the caller sets `succeeded`.

        with throttle.attempt(username=name, ip=client_ip(request)) as current:
            current.succeeded = password_is_right(...)
    """
    now = timezone.now()
    LoginAttempt.objects.filter(at__lt=now - _window() - _lockout()).delete()
    row = LoginAttempt.objects.create(at=now, user_key=user_key(username), ip_key=_key("ip", ip))
    locks = (
        _locked_until("user_key", row.user_key, settings.LOGIN_FAILURES, own=row.pk, now=now),
        _locked_until("ip_key", row.ip_key, settings.LOGIN_FAILURES_PER_IP, own=row.pk, now=now),
    )
    until = max((t for t in locks if t is not None), default=None)
    if until is not None:
        row.delete()
        raise SignInThrottledError(until)
    current = Attempt(row)
    try:
        yield current
    except BaseException:
        row.delete()  # an error is not a failed guess
        raise
    if current.succeeded:
        row.delete()
    else:
        _after_failure(username, row)


def _after_failure(username: str, row: LoginAttempt) -> None:
    """A failure that locks the username locks its API tokens out too: every live token of
    the account is revoked (a lock-out means someone is guessing its password; a token issued
    to them, or stolen with it, must not stay open meanwhile)."""
    now = timezone.now()
    if _locked_until("user_key", row.user_key, settings.LOGIN_FAILURES, own=0, now=now) is None:
        return
    for user in User.objects.filter(username__iexact=username.strip(), is_active=True):
        if user_key(user.get_username()) == row.user_key:
            api_tokens_revoke_all(actor=None, user=user, why=ApiToken.Revoked.LOCKOUT)


def forget(*, username: str) -> None:
    """A complete sign-in (password and, where needed, code) clears the username's failures.
    An address's failures stay: signing in to one's own account must not reset them."""
    LoginAttempt.objects.filter(user_key=user_key(username)).delete()
