from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from care365.accounts.models import REGISTRY_ROLES, Role

ALERT_BOARD_ROLES = frozenset({*REGISTRY_ROLES, Role.POLICE})


def care365(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs on every page: the demo ribbon and the navigation."""
    user = getattr(request, "user", None)
    role = getattr(user, "role", "") if user is not None and user.is_authenticated else ""
    return {
        "DEMO": settings.DEMO,
        "nav_registry": role in REGISTRY_ROLES,
        "nav_pairing": role == Role.COUNTY_ADMIN,
        "nav_alerts": role in ALERT_BOARD_ROLES,
        "nav_signed_in": bool(user is not None and user.is_authenticated),
    }
