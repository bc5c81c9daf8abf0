"""The doors to pairing runs: county administrators run pairing for their county, and a run is
reached only through `run_get_for_user`."""

from __future__ import annotations

from care365.accounts.access import county_for_admin
from care365.accounts.models import User
from care365.core.errors import NotFound
from care365.pairing.models import PairingRun

__all__ = ["county_for_admin", "run_get_for_user"]


def run_get_for_user(user: User, run_id: int) -> PairingRun:
    """A pairing run of the user's county; NotFound for a missing one and anybody else's alike
    (only a county administrator has runs)."""
    county = county_for_admin(user)
    run = None if county is None else PairingRun.objects.filter(pk=run_id, county=county).first()
    if run is None:
        raise NotFound
    return run
