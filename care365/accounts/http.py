"""What every app's pages share: the signed-in account, the registry-keeper check, and a
service's refusal shown as messages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from care365.accounts.access import county_for_admin, keeps_registry
from care365.accounts.models import User
from care365.areas.models import Area


def account(request: HttpRequest) -> User:
    """The signed-in user (views are behind login_required)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def registry_keeper(request: HttpRequest) -> User:
    """The signed-in user if they keep the registry (county admin, supervisor, director)."""
    user = account(request)
    if not keeps_registry(user):
        raise PermissionDenied
    return user


def county_admin(request: HttpRequest) -> tuple[User, Area]:
    """The signed-in county administrator and their county; anyone else is refused."""
    user = account(request)
    county = county_for_admin(user)
    if county is None:
        raise PermissionDenied
    return user, county


def service_errors(request: HttpRequest, exc: ValidationError) -> None:
    """Show a service's refusal as error messages on the next page."""
    for message in exc.messages:
        messages.error(request, message)
