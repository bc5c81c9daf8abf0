"""What every page view shares: the signed-in account and the registry-keeper check."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from care365.accounts.models import REGISTRY_ROLES, User

# Who may raise an alert for a child they see.


def account(request: HttpRequest) -> User:
    """The signed-in user (views are behind login_required)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def registry_keeper(request: HttpRequest) -> User:
    """The signed-in user if they keep the registry (county admin, supervisor, director)."""
    user = account(request)
    if user.role not in REGISTRY_ROLES:
        raise PermissionDenied
    return user


def service_errors(request: HttpRequest, exc: ValidationError) -> None:
    """Show a service's refusal as error messages on the next page."""
    for message in exc.messages:
        messages.error(request, message)
