"""The network's daily work: remind referrers of referrals past their due date, and owners of
case conference actions past theirs."""

from __future__ import annotations

from datetime import date

from care365.core.jobs import PeriodicJob
from care365.network.services import (
    conference_actions_remind_overdue,
    referrals_remind_overdue,
)


def _remind(today: date) -> str:
    return f"{referrals_remind_overdue(today)} overdue referrals reminded"


def _remind_actions(today: date) -> str:
    return f"{conference_actions_remind_overdue(today)} overdue conference actions reminded"


JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("referrals_overdue_remind", _remind),
    PeriodicJob("conference_actions_overdue_remind", _remind_actions),
)
