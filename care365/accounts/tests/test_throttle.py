"""The sign-in throttle itself: counting in the database, locking, the cool-off, and keeping no
username or address in the clear. Pages and the API are tested in web/tests/pages/test_security.py.
"""

from __future__ import annotations

import re
import threading
import time
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone, translation

from care365.accounts import throttle
from care365.accounts.models import LoginAttempt
from conftest import Personas

pytestmark = pytest.mark.django_db


def _fail(username: str, ip: str = "10.0.0.1") -> None:
    with throttle.attempt(username=username, ip=ip):
        pass  # not marked succeeded: a failure


def test_five_failures_lock_the_username_even_for_the_right_password(
    personas: Personas, rf: RequestFactory
) -> None:
    request = rf.post("/login/", REMOTE_ADDR="10.0.0.1")
    for _ in range(5):
        assert authenticate(request, username="director", password="wrong") is None
    with pytest.raises(throttle.SignInThrottledError) as refused:
        authenticate(request, username="director", password=personas.password)
    assert refused.value.code == "throttled"
    assert refused.value.minutes == 15
    # Another user from another address is not affected.
    other = rf.post("/login/", REMOTE_ADDR="10.0.0.2")
    assert authenticate(other, username="supervisor", password=personas.password) is not None


def test_the_lock_counts_a_username_however_it_is_typed(db: None) -> None:
    for name in ("Director", " director", "DIRECTOR", "director ", "director"):
        _fail(name, ip=f"10.0.0.{len(name)}")
    with pytest.raises(throttle.SignInThrottledError):
        _fail("director", ip="10.9.9.9")


def test_the_lock_ends_after_the_cool_off(db: None) -> None:
    for _ in range(5):
        _fail("director")
    with pytest.raises(throttle.SignInThrottledError):
        _fail("director")
    # Move the failures back: 14 minutes ago the lock still holds, 16 minutes ago it is over.
    LoginAttempt.objects.update(at=timezone.now() - timedelta(minutes=14))
    with pytest.raises(throttle.SignInThrottledError) as refused:
        _fail("director")
    assert refused.value.minutes == 1
    LoginAttempt.objects.update(at=timezone.now() - timedelta(minutes=16))
    _fail("director")  # let through again (and counted)
    assert LoginAttempt.objects.count() == 6


def _failed_minutes_ago(username: str, *minutes: int) -> None:
    now = timezone.now()
    for ago in minutes:
        LoginAttempt.objects.create(
            at=now - timedelta(minutes=ago), user_key=throttle.user_key(username), ip_key="-"
        )


def test_five_failures_lock_only_when_they_fall_within_one_window(db: None) -> None:
    _failed_minutes_ago("director", 20, 14, 10, 5, 1)  # five, but over 19 minutes
    _failed_minutes_ago("supervisor", 14, 10, 5, 3, 1)  # five within 13 minutes
    _fail("director")
    with pytest.raises(throttle.SignInThrottledError) as refused:
        _fail("supervisor")
    assert refused.value.minutes == 14  # 15 minutes after the last failure


def test_refused_attempts_do_not_lengthen_the_lock(db: None) -> None:
    for _ in range(5):
        _fail("director")
    for _ in range(10):
        with pytest.raises(throttle.SignInThrottledError):
            _fail("director")
    assert LoginAttempt.objects.count() == 5


def test_an_address_is_locked_after_its_own_limit(db: None, settings: Any) -> None:
    settings.LOGIN_FAILURES_PER_IP = 8
    for n in range(8):
        _fail(f"user{n}", ip="192.0.2.7")
    with pytest.raises(throttle.SignInThrottledError):
        _fail("someone-else", ip="192.0.2.7")
    _fail("someone-else", ip="192.0.2.8")


def test_attempts_in_flight_count_so_simultaneous_guesses_cannot_pass_the_limit(db: None) -> None:
    """Each attempt writes its row before it counts: with five attempts still being checked (in
    other processes, say), a sixth is refused before any of them has finished."""
    with ExitStack() as in_flight:
        for _ in range(5):
            in_flight.enter_context(throttle.attempt(username="director", ip="10.0.0.1"))
        with pytest.raises(throttle.SignInThrottledError):
            _fail("director", ip="10.0.0.2")


def test_success_removes_its_own_row_and_a_complete_sign_in_clears_the_username(
    db: None,
) -> None:
    for _ in range(4):
        _fail("director", ip="10.0.0.1")
    with throttle.attempt(username="director", ip="10.0.0.1") as current:
        current.succeeded = True
    assert LoginAttempt.objects.count() == 4
    throttle.forget(username="Director")
    assert LoginAttempt.objects.count() == 0


def test_old_rows_are_deleted(db: None) -> None:
    _fail("director")
    LoginAttempt.objects.update(at=timezone.now() - timedelta(hours=1))
    _fail("supervisor")
    assert LoginAttempt.objects.count() == 1


def test_no_username_or_address_is_stored_in_the_clear(db: None) -> None:
    _fail("my-secret-password-typed-as-username", ip="203.0.113.99")
    row = LoginAttempt.objects.values().get()
    stored = " ".join(str(v) for v in row.values())
    assert "my-secret" not in stored and "203.0.113" not in stored
    assert row["user_key"] == throttle.user_key("my-secret-password-typed-as-username")


def test_the_message_is_in_the_users_language(db: None) -> None:
    until = timezone.now() + timedelta(minutes=3)
    with translation.override("en"):
        en = str(throttle.SignInThrottledError(until).messages[0])
    with translation.override("zh-hans"):
        zh = str(throttle.SignInThrottledError(until).messages[0])
    assert en == "Too many failed sign-ins. Try again in 3 minutes."
    assert re.search(r"[\u4e00-\u9fff]", zh) and "3" in zh


@pytest.mark.django_db(transaction=True)
def test_simultaneous_attempts_on_separate_connections_let_at_most_the_limit_through() -> None:
    """Twelve attempts at once, each on its own database connection (as from many app
    processes), each holding its check open while "the password is checked": never more than
    five get through. Checking before writing would let all twelve through."""
    ready = threading.Barrier(12)
    passed: list[int] = []
    refused: list[int] = []

    def sign_in(n: int) -> None:
        try:
            ready.wait()
            with throttle.attempt(username="director", ip=f"10.0.1.{n}"):
                passed.append(n)
                time.sleep(0.3)
        except throttle.SignInThrottledError:
            refused.append(n)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_in, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) + len(refused) == 12
    assert len(passed) <= 5
    assert LoginAttempt.objects.count() == len(passed)
