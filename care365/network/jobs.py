"""The network's daily work: remind referrers of referrals past their due date."""

from __future__ import annotations

from datetime import date

from care365.core.jobs import PeriodicJob
from care365.network.services import referrals_remind_overdue


def _remind(today: date) -> str:
    return f"{referrals_remind_overdue(today)} overdue referrals reminded"


JOBS: tuple[PeriodicJob, ...] = (PeriodicJob("referrals_overdue_remind", _remind),)
