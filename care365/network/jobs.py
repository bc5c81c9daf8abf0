"""The network's daily work: remind referrers of referrals past their due date, and owners of
case conference actions past theirs; check the schools' absences against each county's
threshold (a concern opens on a lower threshold, and closes as absences age out)."""

from __future__ import annotations

from datetime import date

from care365.core.jobs import PeriodicJob
from care365.network.services import (
    conference_actions_remind_overdue,
    referrals_remind_overdue,
)
from care365.network.services.schools import attendance_concerns_refresh


def _remind(today: date) -> str:
    return f"{referrals_remind_overdue(today)} overdue referrals reminded"


def _remind_actions(today: date) -> str:
    return f"{conference_actions_remind_overdue(today)} overdue conference actions reminded"


def _attendance(today: date) -> str:
    return f"{attendance_concerns_refresh(today)} attendance concerns opened"


JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("referrals_overdue_remind", _remind),
    PeriodicJob("conference_actions_overdue_remind", _remind_actions),
    PeriodicJob("attendance_concerns_check", _attendance),
)
