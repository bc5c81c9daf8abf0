"""A history for a seeded, paired county (`care365 seed --history DAYS`, and the demo's year):
the registry's entries and exits, pairings since when they began, contacts at the county's
intervals, examinations, screenings with their referrals, wishes, events and alerts, spread over
the DAYS days up to today (the installation's time zone) and the same for the same seed and day.

Written with bulk paths (contacts and examinations as plain rows: COPY on PostgreSQL, one
prepared INSERT on SQLite), a chunk of children at a time. The audit trail gets one entry for
the whole history through `core.audit` (the chain stays whole); the few alerts still open today
are raised through protection's services. Refuses a database that has contacts already: a
history is written once, onto a synthetic county.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.care.jobs import risk_recompute
from care365.care.models import Contact
from care365.care.services.plans import plan_due_rebuild
from care365.core.audit import audit
from care365.core.maintenance import db_analyze
from care365.pairing.models import Pairing
from care365.seeding.seed.history.alerts import AlertWriter, open_alerts
from care365.seeding.seed.history.care import CareWriter, kids_load
from care365.seeding.seed.history.learning import LearningWriter
from care365.seeding.seed.history.people import staff_ensure
from care365.seeding.seed.history.registry import Window, registry_history

__all__ = ["HistoryRefusedError", "HistoryResult", "history_seed"]


class HistoryRefusedError(Exception):
    """The database has daily care records already, or no paired county to write one for."""


@dataclass
class HistoryResult:
    days: int
    counts: Counter[str] = field(default_factory=Counter)
    # Per kind of record, the months (YYYY-MM) it has rows in.
    months: dict[str, set[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        c = self.counts
        contacts = sum(v for k, v in c.items() if k.startswith("contact_"))
        return "\n".join(
            [
                f"history of {self.days} days ({self.seconds:.1f} s):",
                f"  registry: {c['entered']:,} registered, {c['exited']:,} left "
                f"({c['aged_out']:,} aged out), {c['statuses_ended']:,} statuses ended",
                f"  contacts {contacts:,}, examinations {c['examination']:,}, screenings "
                f"{c['screening']:,} ({c['screening_above_cutoff']:,} above the cut-off), "
                f"care tasks {c['care_task']:,} ({c['care_task_open']:,} open)",
                f"  wishes {c['wish']:,} ({c['wish_confirmed']:,} came true), events "
                f"{c['event']:,}, health sessions {c['health_session']:,}",
                f"  learning goals {c['learning_goal']:,} ({c['learning_note']:,} progress "
                f"notes), interest activities {c['interest_activity']:,}",
                f"  alerts {c['alert']:,} resolved, {c['alert_open']:,} open now; "
                f"{c['logins']:,} logins for the county's people",
            ]
        )


def history_seed(
    *,
    days: int,
    seed: int,
    county_code: str | None = None,
    now: datetime | None = None,
    keep_for: tuple[str, ...] = ("police", "doctor", "volunteer"),
) -> HistoryResult:
    """Write `days` days of history for the county (by code, else the first county), whose
    children must be paired already (the demo pairs them; `care365 seed --history` too).
    Children paired with the carers of the logins named in `keep_for` stay on the registry,
    so the demo's logins keep theirs."""
    if days < 1:
        raise ValueError("days must be 1 or more")
    if Contact.objects.exists():
        raise HistoryRefusedError(
            "The database has contacts already: a history is written once, onto a new county."
        )
    started = time.perf_counter()
    counties = Area.objects.filter(level=Area.Level.COUNTY).order_by("code")
    county = counties.filter(code=county_code).first() if county_code else counties.first()
    if (
        county is None
        or not Pairing.objects.filter(child__village__code__startswith=county.code[:6]).exists()
    ):
        raise HistoryRefusedError("There is no county with paired children to write a history for.")
    now = now or timezone.now()
    today = timezone.localdate(now)
    window = Window(first=today - timedelta(days=days - 1), today=today, now=now)
    rng = random.Random(f"care365 history {seed} {days}")  # noqa: S311  # synthetic data
    result = HistoryResult(days=days)
    keep = set(
        Pairing.objects.filter(until__isnull=True, carer__user__username__in=keep_for).values_list(
            "child_id", flat=True
        )
    )
    with transaction.atomic():
        result.counts.update(registry_history(rng, county, window, keep=keep))
        result.counts["logins"] = staff_ensure(rng, county)
    kids, people = kids_load(county, window)
    care = CareWriter(rng, county, window, people)
    with transaction.atomic():
        care.children(kids)
    with transaction.atomic():
        care.wishes(kids)
        care.events(county, kids)
        learning = LearningWriter(care)
        learning.sessions_detail()
        learning.demo_doctor_sessions(kids)
        learning.learning(kids)
        result.counts.update(learning.counts)
        result.counts["alert"] = AlertWriter(care, county).history(kids)
        result.counts.update(care.wrote.counts)
        director = User.objects.filter(username="director", role=Role.DIRECTOR).first()
        village = director.area if director is not None else None
        result.counts["alert_open"] = open_alerts(now, village)
        audit(
            actor=None,
            action="seed_history",
            obj=county,
            changes=sorted(k for k in result.counts if result.counts[k]),
            note=f"synthetic history: {days} days, seed {seed}",
        )
    # Everything above was written in bulk: the planner learns of it before the risk scores
    # and every child's next-due dates are worked out from the tables.
    db_analyze(full=True)
    risk_recompute(today)
    plan_due_rebuild()
    result.months = {
        kind: {f"{year}-{month:02d}" for year, month in found}
        for kind, found in care.wrote.months.items()
    }
    result.seconds = time.perf_counter() - started
    return result
