"""Argon2 for passwords, with older hashes still accepted and upgraded at the next sign-in."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as project_settings
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from care365.accounts.models import User
from care365.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

# What config/settings.py configures (the test suite's conftest swaps in MD5 for speed).
PROJECT_HASHERS = list(project_settings.PASSWORD_HASHERS)


def test_argon2_comes_first_and_older_hashers_stay_to_verify() -> None:
    assert PROJECT_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in PROJECT_HASHERS[1:]


def test_new_passwords_are_argon2id_and_old_pbkdf2_hashes_are_upgraded_at_sign_in(
    client: Client, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = PROJECT_HASHERS
    user = UserFactory.create(username="clerk", role="")
    user.set_password(PASSWORD)
    assert user.password.startswith("argon2$argon2id$")

    old = make_password(PASSWORD, hasher="pbkdf2_sha256")
    User.objects.filter(pk=user.pk).update(password=old)
    response = client.post(reverse("web:login"), {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)
