"""The county's access log, changes and look-ups at scale: filters that the database answers from
an index, and counts that stop at the cap (docs/benchmarks.md, "Access log and look-ups")."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts import selectors
from care365.accounts.lookups import id_lookups_for_county
from care365.accounts.models import AccessLog, AccessOutcome, AccessPurpose, IdLookup
from care365.accounts.selectors import AccessLogFilters, access_log_for_county, audit_for_county
from care365.core.ledger import chain_append
from care365.core.models import AuditEvent
from conftest import Personas

DAY = date(2026, 3, 10)


def _local(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


# Just before, at the start of, at the end of and just after the days DAY..DAY+1 (local time).
EDGES = {
    "before": _local(DAY, time.min) - timedelta(microseconds=1),
    "first": _local(DAY, time.min),
    "last": _local(DAY + timedelta(days=1), time.max),
    "after": _local(DAY + timedelta(days=2), time.min),
}


def _plan(qs: QuerySet[AccessLog] | QuerySet[AuditEvent]) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_since_and_until_keep_whole_local_days(personas: Personas) -> None:
    admin, child = personas.admin, personas.child_a
    for at in EDGES.values():
        chain_append(AccessLog(at=at, user=admin, child=child, purpose=AccessPurpose.VIEW))
        chain_append(
            IdLookup(at=at, user=admin, county=personas.county, kind="search", number_hash="h")
        )
        chain_append(
            AuditEvent(
                at=at,
                actor=admin,
                action="child_update",
                object_type="registry.child",
                object_id=child.pk,
            )
        )
    days = AccessLogFilters(since=DAY, until=DAY + timedelta(days=1))
    wanted = [EDGES["last"], EDGES["first"]]
    assert [e.at for e in access_log_for_county(admin, days)] == wanted
    assert [e.at for e in audit_for_county(admin, days)] == wanted
    looked = id_lookups_for_county(admin, since=days.since, until=days.until)
    assert [e.at for e in looked] == wanted
    # The calendar's first and last days bound nothing, and do not overflow.
    ends = AccessLogFilters(since=date.min, until=date.max)
    assert len(access_log_for_county(admin, ends)) == len(EDGES)
    assert len(audit_for_county(admin, ends)) == len(EDGES)
    assert len(id_lookups_for_county(admin, since=date.min, until=date.max)) == len(EDGES)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")
def test_the_access_log_filters_read_an_index(personas: Personas) -> None:
    admin = personas.admin
    by_purpose = _plan(access_log_for_county(admin, AccessLogFilters(purpose="export")))
    assert "accesslog_purpose_at_idx" in by_purpose
    by_outcome = _plan(access_log_for_county(admin, AccessLogFilters(outcome="refused")))
    assert "accesslog_outcome_at_idx" in by_outcome
    # The days are bounds on the column, not a function of it on every row.
    for qs in (
        access_log_for_county(admin, AccessLogFilters(since=DAY, until=DAY)),
        audit_for_county(admin, AccessLogFilters(since=DAY, until=DAY)),
        id_lookups_for_county(admin, since=DAY, until=DAY),
    ):
        assert "django_datetime_cast_date" not in str(qs.query)
    # Each change is checked against the county by its own child, not against a list of all
    # the county's children built for every query.
    assert "LIST SUBQUERY" not in _plan(audit_for_county(admin, AccessLogFilters()))


def test_the_access_log_page_counts_up_to_the_cap(
    client: Client, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, child = personas.admin, personas.child_a
    for _ in range(4):
        chain_append(
            AccessLog(
                user=admin, child=child, purpose=AccessPurpose.VIEW, outcome=AccessOutcome.REFUSED
            )
        )
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    client.force_login(admin)
    page = client.get(reverse("accounts:access-log"), {"outcome": "refused"})
    assert page.context["page"].paginator.count_is_exact is False
    assert "超过 3 条记录" in page.content.decode()
    monkeypatch.setattr(selectors, "COUNT_CAP", 10)
    page = client.get(reverse("accounts:access-log"), {"outcome": "refused"})
    assert page.context["page"].paginator.count == 4
    assert "4 条记录" in page.content.decode()
