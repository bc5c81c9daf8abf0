"""A county's care plan settings, changed by its county administrator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.access import county_of_user
from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.care.models import CareSettings
from care365.care.services.common import active_user
from care365.core.audit import audit

SETTINGS_FIELDS = (
    "volunteer_visit_days",
    "home_visit_days",
    "safety_check_days",
    "parent_contact_days",
    "risk_interval_percent",
    "risk_threshold",
    "school_absence_days",
    "wish_board_initial_only",
)
# The settings the children's next-due dates depend on.
PLAN_SETTINGS = (
    "volunteer_visit_days",
    "home_visit_days",
    "safety_check_days",
    "parent_contact_days",
    "risk_interval_percent",
)


def _admin_of(user: User, county: Area) -> None:
    if user.role != Role.COUNTY_ADMIN or user.area_id != county.pk:
        raise PermissionDenied


@transaction.atomic
def care_settings_update(*, actor: User, county: Area, values: Mapping[str, Any]) -> CareSettings:
    """Change the county's visit plan: intervals per kind, the tightening for children on the
    risk list, the risk list's threshold, and how the wish board shows names."""
    user = active_user(actor)
    _admin_of(user, county)
    unknown = sorted(set(values) - set(SETTINGS_FIELDS))
    if unknown:
        raise ValidationError({name: _("This setting does not exist.") for name in unknown})
    row, _created = CareSettings.objects.select_for_update().get_or_create(county=county)
    changed = [
        name for name in SETTINGS_FIELDS if name in values and getattr(row, name) != values[name]
    ]
    for name in changed:
        setattr(row, name, values[name])
    row.updated_by = user
    if set(changed) & set(PLAN_SETTINGS):
        # Every child of the county is due on other days. Rewriting their rows takes about
        # 0.2 s per thousand children: minutes for a county of 300,000, too long for a request.
        # A worker rewrites them within seconds (`services.plans.plans_rewrite_pending`);
        # meanwhile a child written to is rewritten with the new intervals, as ever.
        row.plans_stale_since = timezone.now()
    row.full_clean(exclude=["county", "updated_by"])
    row.save()
    audit(actor=user, action="care_settings_update", obj=row, changes=changed)
    return row


@transaction.atomic
def screener_set(*, actor: User, director: User, trained: bool) -> CareSettings:
    """List (or unlist) a village director of the county as trained to enter screenings."""
    user = active_user(actor)
    county = user.area
    if county is None:
        raise PermissionDenied
    _admin_of(user, county)
    their_county = county_of_user(director)
    if director.role != Role.DIRECTOR or their_county is None or their_county.pk != county.pk:
        raise ValidationError({"director": _("Choose a children's director of your county.")})
    row, _created = CareSettings.objects.get_or_create(county=county)
    if trained:
        row.trained_screeners.add(director)
    else:
        row.trained_screeners.remove(director)
    audit(
        actor=user,
        action="screener_set" if trained else "screener_unset",
        obj=row,
        changes=["trained_screeners"],
        note=f"user {director.pk}",
    )
    return row
