"""Contacts, visit plans, the due lists, the 365 figure and the daily digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from care365.accounts.models import AccessGrant, User
from care365.care import plans, selectors, services
from care365.care.jobs import digest_build
from care365.care.models import CareSettings, Contact, ContactKind, RiskScore
from care365.care.services.plans import plan_due_rebuild, plan_due_refresh
from care365.care.tests.factories import (
    NOW,
    REGISTERED,
    TODAY,
    ExaminationFactory,
    at,
    consent,
    contacts,
    pair,
    registered_on,
    team,
)
from care365.core.models import AuditEvent
from care365.registry.models import ConsentPurpose, ExitReason
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

D = timedelta(days=1)


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(exc.value.message_dict)


def log(personas: Personas, who: str, **kwargs: Any) -> Contact:
    values: dict[str, Any] = {
        "child": personas.child_a,
        "kind": ContactKind.VOLUNTEER_VISIT,
        "duration_minutes": 40,
        "occurred_at": at(TODAY, 9),
        "activities": ["homework"],
        "now": NOW,
    }
    values.update(kwargs)
    return services.contact_log(actor=getattr(personas, who), **values)


# --- logging -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_volunteer_logs_a_visit_for_their_child(personas: Personas) -> None:
    team(personas)
    # Half past midnight in Jingning is still the day before in UTC: the day is the local one.
    contact = log(
        personas,
        "volunteer",
        occurred_at=datetime(2026, 5, 31, 16, 30, tzinfo=UTC),
        activities=["homework", "music", "homework"],
        what="读了两本绘本",
        mood=4,
    )
    contact.refresh_from_db()
    assert contact.occurred_on == TODAY
    assert contact.activities == ["homework", "music"]
    assert contact.carer == personas.volunteer.carer
    assert contact.logged_by_role == "volunteer"
    event = AuditEvent.objects.get(action="contact_log", object_id=contact.pk)
    assert event.actor == personas.volunteer
    assert {"what", "mood", "activities"} <= set(event.changes)
    assert "读了两本绘本" not in event.note


@pytest.mark.django_db
def test_carer_cannot_log_for_a_child_they_are_not_paired_with(personas: Personas) -> None:
    team(personas)
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("volunteer", ContactKind.VOLUNTEER_VISIT, {}),
        ("officer", ContactKind.SAFETY_CHECK, {"activities": []}),
        ("doctor", ContactKind.CONSULTATION, {"activities": []}),
    ]
    for who, kind, extra in cases:
        with pytest.raises(ValidationError) as exc:
            log(personas, who, child=personas.child_b, kind=kind, **extra)
        assert errors_of(exc) == {"child"}
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_break_the_glass_does_not_make_a_carer_responsible(personas: Personas) -> None:
    team(personas)
    AccessGrant.objects.create(
        user=personas.volunteer,
        child=personas.child_b,
        reason="emergency",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    with pytest.raises(ValidationError) as exc:
        log(personas, "volunteer", child=personas.child_b)
    assert errors_of(exc) == {"child"}
    assert not any(
        i.child.pk == personas.child_b.pk
        for i in selectors.due_for_user(personas.volunteer, TODAY, within_days=400)
    )


@pytest.mark.django_db
def test_volunteer_cannot_log_once_the_guardian_withdraws_consent(personas: Personas) -> None:
    child = team(personas)
    child.consents.filter(purpose=ConsentPurpose.VOLUNTEER).update(withdrawn_on=TODAY)
    with pytest.raises(ValidationError) as exc:
        log(personas, "volunteer")
    assert errors_of(exc) == {"child"}


@pytest.mark.django_db
def test_each_role_logs_only_its_kinds(personas: Personas) -> None:
    team(personas)
    for who, kind in (
        ("volunteer", ContactKind.SAFETY_CHECK),
        ("officer", ContactKind.HOME_VISIT),
        ("doctor", ContactKind.VOLUNTEER_VISIT),
        ("director_a", ContactKind.CONSULTATION),
        ("admin", ContactKind.HOME_VISIT),
    ):
        with pytest.raises(ValidationError) as exc:
            log(personas, who, kind=kind, activities=[])
        assert errors_of(exc) == {"kind"}, who
    # The parents' weekly contact may be reported by the director or by any of the carers.
    for who in ("director_a", "supervisor_a", "officer", "doctor", "volunteer"):
        log(personas, who, kind=ContactKind.PARENT_CONTACT, activities=[], channel="video")
    assert Contact.objects.filter(kind=ContactKind.PARENT_CONTACT).count() == 5


@pytest.mark.django_db
def test_director_logs_home_visits_in_their_village_only(personas: Personas) -> None:
    team(personas)
    visit = log(personas, "director_a", kind=ContactKind.HOME_VISIT, activities=[], mood=3)
    assert visit.carer is None
    with pytest.raises(ValidationError) as exc:
        log(personas, "director_b", kind=ContactKind.HOME_VISIT, activities=[])
    assert errors_of(exc) == {"child"}
    with pytest.raises(ValidationError) as exc:
        log(personas, "director_a", child=personas.child_b, kind="home_visit", activities=[])
    assert errors_of(exc) == {"child"}


@pytest.mark.django_db
def test_entry_errors_come_together_keyed_by_field(personas: Personas) -> None:
    team(personas)
    with pytest.raises(ValidationError) as exc:
        log(
            personas,
            "volunteer",
            activities=[],
            channel="video",
            mood=7,
            duration_minutes=0,
            follow_up_needed=True,
        )
    assert errors_of(exc) == {"activities", "channel", "mood", "duration_minutes", "follow_up_note"}
    with pytest.raises(ValidationError) as exc:
        log(personas, "director_a", kind=ContactKind.PARENT_CONTACT, activities=["music"])
    assert errors_of(exc) == {"activities", "channel"}
    with pytest.raises(ValidationError) as exc:
        log(personas, "volunteer", activities=["skiing"], duration_minutes=None)
    assert errors_of(exc) == {"activities", "duration_minutes"}


@pytest.mark.django_db
def test_contact_time_must_be_real_and_recent(personas: Personas) -> None:
    team(personas)
    with pytest.raises(ValidationError) as exc:
        log(personas, "volunteer", occurred_at=NOW + timedelta(hours=1))
    assert errors_of(exc) == {"occurred_at"}
    with pytest.raises(ValidationError) as exc:
        log(personas, "volunteer", occurred_at=NOW - timedelta(days=91))
    assert errors_of(exc) == {"occurred_at"}
    assert log(personas, "volunteer", occurred_at=NOW - timedelta(days=89)).occurred_on == (
        TODAY - 89 * D
    )


@pytest.mark.django_db
def test_messages_are_translated(personas: Personas) -> None:
    team(personas)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        log(personas, "volunteer", child=personas.child_b)
    assert exc.value.message_dict["child"] == [
        "You can log contacts only for children paired with you."
    ]


@pytest.mark.django_db
def test_no_contact_is_logged_for_a_child_who_left(personas: Personas) -> None:
    child = team(personas)
    child.exited_on, child.exit_reason = TODAY, ExitReason.PARENTS_RETURNED
    child.save()
    with pytest.raises(ValidationError) as exc:
        log(personas, "volunteer")
    assert errors_of(exc) == {"child"}


@pytest.mark.django_db
def test_each_role_reads_only_the_contact_kinds_it_may(personas: Personas) -> None:
    child = team(personas)
    for kind in ContactKind.values:
        contacts(child, personas.director_a, kind, [TODAY])

    def kinds(who: str) -> set[str]:
        return {c.kind for c in selectors.contacts_for_child(getattr(personas, who), child)}

    assert kinds("volunteer") == {ContactKind.VOLUNTEER_VISIT}
    assert kinds("officer") == set(ContactKind.values) - {ContactKind.CONSULTATION}
    assert kinds("doctor") == set(ContactKind.values)
    assert kinds("director_a") == set(ContactKind.values)
    assert kinds("outsider") == set()


# --- due lists -----------------------------------------------------------------------------


def due_map(user: User, **kwargs: Any) -> dict[tuple[int, str], int]:
    return {
        (i.child.pk, i.kind): i.days_overdue for i in selectors.due_for_user(user, TODAY, **kwargs)
    }


@pytest.fixture
def planned(personas: Personas) -> Personas:
    """Child A with a full team and a year of history; child C, also the volunteer's, newly
    paired; child B in village B with no volunteer consent."""
    a = team(personas)
    contacts(a, personas.volunteer, ContactKind.VOLUNTEER_VISIT, [TODAY - 17 * D, TODAY - 10 * D])
    contacts(a, personas.officer, ContactKind.SAFETY_CHECK, [TODAY - 100 * D])
    contacts(a, personas.director_a, ContactKind.HOME_VISIT, [TODAY - 20 * D])
    contacts(a, personas.director_a, ContactKind.PARENT_CONTACT, [TODAY - 7 * D])
    c = registered_on(LeftBehindChildFactory.create(village=personas.village_a))
    consent(c, ConsentPurpose.VOLUNTEER)
    pair(c, personas.volunteer, since=TODAY - 3 * D)
    registered_on(personas.child_b)
    personas.child_c = c  # type: ignore[attr-defined]
    return personas


@pytest.mark.django_db
def test_each_user_sees_what_they_answer_for(planned: Personas) -> None:
    a, b = planned.child_a.pk, planned.child_b.pk
    c = planned.child_c.pk  # type: ignore[attr-defined]
    assert due_map(planned.volunteer) == {(a, "volunteer_visit"): 3}
    # Child C was paired three days ago: the first visit is due in four days.
    assert due_map(planned.volunteer, within_days=5) == {
        (a, "volunteer_visit"): 3,
        (c, "volunteer_visit"): -4,
    }
    assert due_map(planned.officer) == {(a, "safety_check"): 9}
    # Never examined since pairing on 1 January 2025: due from then (she was already nine).
    assert due_map(planned.doctor) == {(a, "examination"): (TODAY - REGISTERED).days}
    # Home visit due in ten days; the parents' weekly contact is due today; child C was
    # registered long ago and never visited by the director.
    assert due_map(planned.director_a) == {
        (a, "parent_contact"): 0,
        (c, "home_visit"): (TODAY - REGISTERED).days - 30,
        (c, "parent_contact"): (TODAY - REGISTERED).days - 7,
    }
    assert due_map(planned.director_b) == {
        (b, "home_visit"): (TODAY - REGISTERED).days - 30,
        (b, "parent_contact"): (TODAY - REGISTERED).days - 7,
        # no volunteer consent for child B: no volunteer visit is planned
    }
    supervisor = due_map(planned.supervisor_a)
    assert {k for (child, k) in supervisor if child == a} == {
        "volunteer_visit",
        "safety_check",
        "examination",
        "parent_contact",
    }
    assert b not in {child for child, _k in supervisor}
    admin = due_map(planned.admin)
    assert (b, "safety_check") in admin and (b, "volunteer_visit") not in admin
    assert due_map(planned.outsider) == {}


@pytest.mark.django_db
def test_due_list_is_most_overdue_first(planned: Personas) -> None:
    items = selectors.due_for_user(planned.admin, TODAY)
    assert items
    overdue = [i.days_overdue for i in items]
    assert overdue == sorted(overdue, reverse=True)
    first = items[0]
    assert first.kind == "examination" and first.due_on == REGISTERED


@pytest.mark.django_db
def test_children_on_the_risk_list_are_visited_more_often(planned: Personas) -> None:
    a = planned.child_a
    RiskScore.objects.create(child=a, village=a.village, score=40, on_list=True, computed_on=TODAY)
    # Written straight to the tables: the stored next-due dates are rewritten as the risk job
    # and the worker (after a change of the county's intervals) rewrite them.
    plan_due_refresh([a.pk])
    (item,) = selectors.due_for_user(planned.volunteer, TODAY)
    # Weekly, halved and rounded up: every 4 days, so due 6 days ago.
    assert (item.interval_days, item.tightened, item.days_overdue) == (4, True, 6)
    CareSettings.objects.create(county=planned.county, volunteer_visit_days=28)
    plan_due_rebuild(area=planned.county)
    assert selectors.due_for_user(planned.volunteer, TODAY) == []
    (item,) = selectors.due_for_user(planned.volunteer, TODAY, within_days=4)
    assert (item.interval_days, item.days_overdue) == (14, -4)
    RiskScore.objects.filter(child=a).update(on_list=False)
    plan_due_refresh([a.pk])
    (item,) = [
        i
        for i in selectors.due_for_user(planned.volunteer, TODAY, within_days=30)
        if i.child.pk == a.pk
    ]
    assert (item.interval_days, item.tightened, item.days_overdue) == (28, False, -18)


@pytest.mark.django_db
def test_due_list_costs_the_same_queries_for_many_children(personas: Personas) -> None:
    team(personas)

    def count() -> int:
        supervisor = User.objects.select_related("area").get(pk=personas.supervisor_a.pk)
        with CaptureQueriesContext(connection) as ctx:
            selectors.due_for_user(supervisor, TODAY)
        return len(ctx.captured_queries)

    few = count()
    for n in range(12):
        child = team(personas, LeftBehindChildFactory.create(village=personas.village_a))
        contacts(child, personas.volunteer, ContactKind.VOLUNTEER_VISIT, [TODAY - n * D])
        contacts(child, personas.officer, ContactKind.SAFETY_CHECK, [TODAY - 10 * n * D])
    assert len(selectors.due_for_user(personas.supervisor_a, TODAY)) > 12
    assert count() == few


@pytest.mark.django_db
def test_digest_lists_the_users_due_items(planned: Personas) -> None:
    digest = digest_build(planned.volunteer, TODAY)
    assert [(i.child.pk, i.kind) for i in digest.overdue] == [
        (planned.child_a.pk, "volunteer_visit")
    ]
    assert digest.due_today == [] and digest.tasks == []
    assert digest.counts["overdue"] == 1 and not digest.is_empty
    director = digest_build(planned.director_a, TODAY)
    assert [(i.child.pk, i.kind) for i in director.due_today] == [
        (planned.child_a.pk, "parent_contact")
    ]
    assert digest_build(planned.outsider, TODAY).is_empty


# --- the 365 figure: the pure computation --------------------------------------------------

FIRST, LAST = plans.window(TODAY)


def brute_covered(days: list[date], interval: int, start: date, first: date, last: date) -> int:
    """The definition in docs/care.md, one day at a time."""
    points = {start} | {d for d in days if start <= d <= last}
    lo = max(first, start)
    total = 0
    day = lo
    while day <= last:
        total += any(0 <= (day - p).days <= interval for p in points)
        day += D
    return total


def test_window_is_365_days_up_to_today() -> None:
    assert (LAST - FIRST).days == 364 and LAST == TODAY


def test_weekly_contacts_cover_every_day() -> None:
    days = [REGISTERED + 7 * k * D for k in range(80)]
    result = plans.coverage(days, interval=7, start=REGISTERED, first=FIRST, last=LAST)
    assert (result.days, result.covered, result.longest_gap, result.share) == (365, 365, 7, 1.0)


def test_a_gap_longer_than_the_interval_leaves_the_excess_uncovered() -> None:
    # Every 9 days from the window's first day, against a weekly plan: the eighth day after each
    # contact the visit is overdue and not made (40 such days); the last contact, four days
    # ago, still covers today.
    days = [FIRST + 9 * k * D for k in range(41)]
    result = plans.coverage(days, interval=7, start=REGISTERED, first=FIRST, last=LAST)
    assert (result.covered, result.longest_gap) == (325, 9)
    # A day late every time (every 8 days) leaves no day uncovered: on the day the visit would
    # have been overdue, it was made. The longest gap shows the lateness.
    late = plans.coverage(
        [FIRST + 8 * k * D for k in range(46)], interval=7, start=REGISTERED, first=FIRST, last=LAST
    )
    assert (late.covered, late.longest_gap) == (365, 8)


def test_gap_before_the_window_counts_from_the_day_before_it() -> None:
    result = plans.coverage([TODAY - 50 * D], interval=91, start=REGISTERED, first=FIRST, last=LAST)
    assert (result.covered, result.longest_gap) == (51, 315)
    nothing = plans.coverage([], interval=91, start=REGISTERED, first=FIRST, last=LAST)
    assert (nothing.covered, nothing.longest_gap) == (0, 365)


def test_a_new_child_has_one_interval_of_grace() -> None:
    start = TODAY - 9 * D
    result = plans.coverage([], interval=7, start=start, first=FIRST, last=LAST)
    assert (result.days, result.covered, result.longest_gap) == (10, 8, 9)
    before = plans.coverage([TODAY - 30 * D], interval=7, start=start, first=FIRST, last=LAST)
    assert before == result  # a contact before the plan started does not count


def test_whole_plan_is_met_only_when_every_kind_is() -> None:
    weekly = [FIRST + 7 * k * D for k in range(53)]
    gap = [d for d in weekly if not (FIRST + 100 * D <= d <= FIRST + 130 * D)]
    result = plans.plan_coverage(
        {"volunteer_visit": weekly, "parent_contact": gap},
        intervals={"volunteer_visit": 7, "parent_contact": 7},
        start=REGISTERED,
        first=FIRST,
        last=LAST,
    )
    parents = result.kinds["parent_contact"]
    assert result.kinds["volunteer_visit"].share == 1.0
    assert result.covered == parents.covered < 365
    # Contacts on days 98 and 133: days 106 to 132 are uncovered.
    assert result.longest_uncovered == 27 == 365 - parents.covered
    assert parents.longest_gap == 35


@settings(max_examples=200, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=-500, max_value=400), max_size=40),
    interval=st.integers(min_value=1, max_value=100),
    start_offset=st.integers(min_value=-600, max_value=360),
)
def test_coverage_agrees_with_the_day_by_day_definition(
    offsets: list[int], interval: int, start_offset: int
) -> None:
    days = [TODAY - o * D for o in offsets]
    start = TODAY - start_offset * D
    result = plans.coverage(days, interval=interval, start=start, first=FIRST, last=LAST)
    assert result.covered == brute_covered(days, interval, start, FIRST, LAST)
    assert result.days == max(0, (LAST - max(FIRST, start)).days + 1)
    assert sum(hi - lo + 1 for lo, hi in result.spans) == result.covered
    assert 0 <= result.longest_gap <= result.days
    # Gaps no longer than the interval leave no day uncovered; a gap of two days more does.
    if result.longest_gap <= interval:
        assert result.covered == result.days
    if result.longest_gap > interval + 1:
        assert result.covered < result.days


# --- the 365 figure from the tables ---------------------------------------------------------


@pytest.fixture
def history(personas: Personas) -> Personas:
    """Child A: weekly volunteer visits and parents' calls, monthly home visits, one safety
    check 50 days ago. Child B (village B): nothing at all."""
    a = team(personas)
    days = (TODAY - REGISTERED).days
    contacts(
        a, personas.volunteer, "volunteer_visit", [REGISTERED + k * D for k in range(0, days, 7)]
    )
    contacts(
        a, personas.director_a, "parent_contact", [REGISTERED + k * D for k in range(0, days, 7)]
    )
    contacts(a, personas.director_a, "home_visit", [REGISTERED + k * D for k in range(0, days, 30)])
    contacts(a, personas.officer, "safety_check", [TODAY - 50 * D])
    # One examination 100 days ago: overdue (never examined) until then, due a year later.
    ExaminationFactory.create(child=a, examined_on=TODAY - 100 * D, entered_by=personas.doctor)
    registered_on(personas.child_b)
    return personas


@pytest.mark.django_db
def test_child_figure(history: Personas) -> None:
    result = selectors.coverage_for_child(history.director_a, history.child_a, TODAY)
    assert set(result.kinds) == {
        "volunteer_visit",
        "parent_contact",
        "home_visit",
        "safety_check",
        "examination",
    }
    assert (result.kinds["examination"].covered, result.kinds["examination"].longest_gap) == (
        101,
        265,
    )
    assert result.kinds["volunteer_visit"].share == 1.0
    assert result.kinds["home_visit"].share == 1.0
    assert (result.kinds["safety_check"].covered, result.kinds["safety_check"].longest_gap) == (
        51,
        315,
    )
    assert (result.days, result.covered, result.longest_uncovered) == (365, 51, 314)
    # A volunteer's figure is about volunteers' visits alone.
    mine = selectors.coverage_for_child(history.volunteer, history.child_a, TODAY)
    assert set(mine.kinds) == {"volunteer_visit"} and mine.share == 1.0


@pytest.mark.django_db
def test_area_figure_adds_up_its_children_in_batches(history: Personas) -> None:
    whole = selectors.coverage_for_area(history.admin, history.county, TODAY, breakdown=True)
    assert whole is not None
    assert (whole.children, whole.days, whole.covered, whole.longest_uncovered) == (2, 730, 51, 365)
    assert whole.kinds["safety_check"].covered == 51
    assert whole.kinds["safety_check"].longest_gap == 365
    assert whole.kinds["volunteer_visit"].children == 1  # child B has no volunteer consent
    a, b = whole.parts[history.township_a.pk], whole.parts[history.township_b.pk]
    assert (a.children, a.covered, b.children, b.covered) == (1, 51, 1, 0)
    one_by_one = selectors.coverage_for_area(history.admin, history.county, TODAY, batch_size=1)
    assert one_by_one is not None
    assert (one_by_one.days, one_by_one.covered) == (whole.days, whole.covered)
    village = selectors.coverage_for_area(history.director_a, history.village_a, TODAY)
    assert village is not None and (village.children, village.covered) == (1, 51)
    assert selectors.coverage_for_area(history.director_a, history.county, TODAY) is None
    assert selectors.coverage_for_area(history.volunteer, history.village_a, TODAY) is None
    assert selectors.coverage_for_area(history.other_admin, history.county, TODAY) is None


@pytest.mark.django_db
def test_area_figure_counts_a_child_who_left_until_they_left(history: Personas) -> None:
    b = history.child_b
    b.exited_on, b.exit_reason = TODAY - 100 * D, ExitReason.MOVED_AWAY
    b.save()
    whole = selectors.coverage_for_area(history.admin, history.county, TODAY)
    assert whole is not None and whole.days == 365 + 265
    b.exited_on = FIRST - D
    b.save()
    whole = selectors.coverage_for_area(history.admin, history.county, TODAY)
    assert whole is not None and whole.children == 1


@settings(max_examples=200, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=-500, max_value=400), max_size=30),
    interval=st.integers(min_value=1, max_value=100),
    start_offset=st.integers(min_value=-600, max_value=360),
    plan_offset=st.integers(min_value=-600, max_value=360),
)
def test_due_coverage_covers_exactly_the_days_the_due_list_shows_nothing_overdue(
    offsets: list[int], interval: int, start_offset: int, plan_offset: int
) -> None:
    """Day by day: the last contact on or before the day (any, also before the registration),
    the due date the due list works out from it, and covered when the day is not past it."""
    days = [TODAY - o * D for o in offsets]
    registered = TODAY - start_offset * D
    plan_start = TODAY - plan_offset * D

    def due_after(last: date | None) -> date:
        return plans.contact_next_due(last=last, start=plan_start, interval=interval)

    result = plans.due_coverage(days, due_after=due_after, start=registered, first=FIRST, last=LAST)
    expected = 0
    day = max(FIRST, registered)
    while day <= LAST:
        last = max((d for d in days if d <= day), default=None)
        expected += (day - due_after(last)).days <= 0
        day += D
    assert result.covered == expected
    assert sum(hi - lo + 1 for lo, hi in result.spans) == result.covered
    # Today is covered exactly when the due list does not show the kind overdue today.
    if result.days:
        today_due = due_after(max((d for d in days if d <= TODAY), default=None))
        covered_today = bool(result.spans) and result.spans[-1][1] == LAST.toordinal()
        assert covered_today == (today_due >= TODAY)
