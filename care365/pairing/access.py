"""The doors to pairing runs: county administrators run pairing for their county, and a run is
reached only through `run_get_for_user`."""

from __future__ import annotations

from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.core.errors import NotFound
from care365.pairing.models import PairingRun


def county_for_admin(user: User) -> Area | None:
    """The county a county administrator runs pairing for; None for everyone else."""
    if user.role != Role.COUNTY_ADMIN or user.area is None:
        return None
    return user.area if user.area.level == Area.Level.COUNTY else None


def run_get_for_user(user: User, run_id: int) -> PairingRun:
    """A pairing run of the user's county; NotFound for a missing one and anybody else's alike
    (only a county administrator has runs)."""
    county = county_for_admin(user)
    run = None if county is None else PairingRun.objects.filter(pk=run_id, county=county).first()
    if run is None:
        raise NotFound
    return run
