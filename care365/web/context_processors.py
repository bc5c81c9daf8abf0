from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from care365.accounts.access import keeps_registry, lists_records
from care365.accounts.models import User
from care365.imports.access import kinds_for_user
from care365.insights.access import sees_figures
from care365.insights.reports.access import reads_reports
from care365.network.access import (
    owns_actions,
    reads_conferences,
    reads_mandatory_reports,
    reads_referrals,
    reads_schools,
    works_for_organisation,
)
from care365.pairing.access import county_for_admin
from care365.protection.access import sees_alert_board
from care365.protection.selectors import alerts_open_count_for_user


def care365(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs on every page: the demo ribbon and the navigation, whose
    Alerts item carries the count of open alerts the user may see (one COUNT, made only when a
    page renders the navigation)."""
    user = getattr(request, "user", None)
    account = user if isinstance(user, User) and user.is_authenticated else None
    board = account is not None and sees_alert_board(account)
    return {
        "DEMO": settings.DEMO,
        "nav_registry": account is not None and keeps_registry(account),
        "nav_records": account is not None and lists_records(account),
        "nav_pairing": account is not None and county_for_admin(account) is not None,
        "nav_county": account is not None and county_for_admin(account) is not None,
        "nav_imports": account is not None and bool(kinds_for_user(account)),
        "nav_alerts": board,
        "nav_mandatory_reports": account is not None and reads_mandatory_reports(account),
        "nav_referrals": account is not None and reads_referrals(account),
        "nav_staff_referrals": account is not None and works_for_organisation(account),
        "nav_conferences": account is not None and reads_conferences(account),
        "nav_schools": account is not None and reads_schools(account),
        "nav_actions": account is not None and owns_actions(account),
        "nav_reports": account is not None and reads_reports(account),
        "nav_alerts_open": (
            SimpleLazyObject(lambda: alerts_open_count_for_user(account))
            if account is not None and board
            else 0
        ),
        "nav_signed_in": account is not None,
        "nav_insights": account is not None and sees_figures(account),
    }
