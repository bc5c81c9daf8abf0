"""Every figure of the small county against counts made here; the 365 figure against the due
lists; a refresh after a mix of events against a rebuild."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from care365.accounts import services as account_services
from care365.accounts.selectors import carer_list
from care365.care import selectors as care_selectors
from care365.care import services as care_services
from care365.care.models import Contact, PlanKind
from care365.carers.models import Carer, CarerRole, Organisation
from care365.carers.tests.factories import CarerFactory, OrganisationFactory
from care365.insights import selectors
from care365.insights.models import Tally
from care365.insights.services import (
    bucket_of,
    bucket_value,
    month_of,
    rollups_catch_up,
    rollups_rebuild,
    rollups_refresh_all,
)
from care365.insights.tests.conftest import County
from care365.pairing import services as pairing_services
from care365.registry import services as registry_services
from care365.registry.models import Child, ExitReason

pytestmark = pytest.mark.django_db
D = timedelta(days=1)


def snapshot() -> Counter[tuple[int, str, str, str]]:
    return +Counter(
        {
            (a, p, m, k): n
            for a, p, m, k, n in Tally.objects.values_list(
                "area_id", "period", "metric", "key", "n"
            )
        }
    )


def test_every_figure_of_the_county_against_counts_made_here(county: County) -> None:
    p, today = county.p, county.today
    rollups_rebuild(today)
    month = selectors.period_parse(month_of(today))
    kids = selectors.children(p.admin, p.county, month)
    # 2 personas' children + 4 in village A + 2 in village B (the third left).
    assert kids.total == 8
    assert kids.by_status["left_behind"] == 6  # child A, child B, extra A0, A1, B0, B1
    assert kids.by_status["difficulty_poverty"] == 1 and kids.by_status["unsupported"] == 1
    assert kids.by_sex == {"F": 5, "M": 3}
    # Ages counted here, one child at a time, into the ministry's bands.
    ages: Counter[str] = Counter()
    mine = Child.objects.filter(exited_on__isnull=True, village__parent__parent=p.county)
    for born in mine.values_list("birth_date", flat=True):
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        ages["0-5" if age <= 5 else "6-13" if age <= 13 else "14-16" if age <= 16 else "17+"] += 1
    assert {k: v for k, v in kids.by_age.items() if v} == dict(ages)
    assert ages["0-5"] == 1 and ages["17+"] == 1
    assert kids.by_guardian == {"grandfather": 1, "grandmother": 6, "none": 1}
    assert kids.by_schooling == {
        "dropped_out": 1,
        "junior": 1,
        "kindergarten": 1,
        "primary": 5,
    }
    assert kids.boarding == 1
    entries_this_month = 9 if month_of(today - 200 * D) == month_of(today) else 0
    assert kids.entries == entries_this_month
    exits_month = selectors.period_parse(month_of(today - 3 * D))
    assert selectors.children(p.admin, p.county, exits_month).exits_by_reason == {
        "parents_returned": 1
    }

    pairing = selectors.pairing(p.admin, p.county)
    assert pairing.coverage == {"all": 1, "some": 1, "none": 6}
    assert pairing.paired == {"police": 1, "doctor": 2, "volunteer": 1}
    assert pairing.gaps == {"police": 7, "doctor": 6, "volunteer": 7}
    assert pairing.all_share == round(1 / 8, 4)

    care = selectors.care(p.admin, p.county, month)
    exam_month = selectors.care(p.admin, p.county, selectors.period_parse(month_of(today - 30 * D)))
    assert exam_month.examinations == 1 and exam_month.exam_classes == {"overweight": 1}
    assert care.examined_last_year == 1 and care.growth == {"overweight": 1}
    assert (care.screenings, care.above_cutoff, care.referrals, care.referrals_open) == (2, 1, 1, 1)
    assert (care.wishes_posted, care.wishes_fulfilled, care.wishes_open) == (2, 1, 1)
    assert (
        care.contacts["volunteer_visit"]
        == Contact.objects.filter(
            kind="volunteer_visit", occurred_on__gte=today.replace(day=1), occurred_on__lte=today
        ).count()
    )

    alerts = selectors.alerts(p.admin, p.county, month)
    assert alerts.raised == 2 and alerts.by_kind == {"danger": 1, "self_harm": 1}
    assert (alerts.acknowledged, alerts.reached) == (2, 1)
    # Two acknowledgements (5 and 20 minutes): the median by nearest rank is the first.
    assert alerts.acknowledge_median_s == pytest.approx(300, rel=0.03)
    assert alerts.acknowledge_p90_s == pytest.approx(1200, rel=0.03)
    assert alerts.reach_median_s == pytest.approx(2400, rel=0.03)
    assert alerts.open == 2  # the one with the child and last year's missing child
    year_before = selectors.alerts(p.admin, p.county, month.year_before())
    assert year_before.raised == 1 and year_before.by_kind == {"missing": 1}

    # Townships and villages are the same figures, and add up to the county.
    parts = {line.area.pk: line for line in selectors.parts(p.admin, p.county, month)}
    assert parts[p.township_a.pk].children == 5 and parts[p.township_b.pk].children == 3
    village = selectors.overview(p.director_a, p.village_a, month)
    assert village.children == 5 and village.paired["doctor"] == 2


def test_the_365_figure_and_the_due_lists_agree(county: County) -> None:
    """Per kind: the items the due list shows overdue are the roll-ups' overdue count, and a
    child's kind is off the plan today exactly when the due list shows it overdue."""
    p, today = county.p, county.today
    rollups_rebuild(today)
    due = care_selectors.due_for_user(p.admin, today)
    overdue = Counter(item.kind for item in due if item.days_overdue > 0)
    figures = selectors.care(p.admin, p.county, selectors.period_parse(None))
    assert {line.kind: line.overdue for line in figures.kinds} == {
        k: overdue.get(k, 0) for k in selectors.PLAN_KINDS
    }
    assert figures.due == len(due)
    # Examinations are in both: child B and the others were never examined.
    assert overdue[PlanKind.EXAMINATION] > 0
    assert figures.share_365 is not None and figures.share_365 < 1
    # Child by child and kind: uncovered today <=> overdue in the due list.
    mine = Child.objects.filter(exited_on__isnull=True, village__parent__parent=p.county)
    items = {
        (i.child.pk, i.kind): i for i in care_selectors.plan_status(mine, PlanKind.values, today)
    }
    for child in mine:
        result = care_selectors.coverage_for_child(p.admin, child, today)
        for kind, one in result.kinds.items():
            covered_today = bool(one.spans) and one.spans[-1][1] == today.toordinal()
            assert covered_today == (items[child.pk, kind].days_overdue <= 0), (child.pk, kind)


def test_a_refresh_after_a_mix_of_events_equals_a_rebuild(county: County) -> None:
    p, today = county.p, county.today
    # Another county's volunteer serving village A: never counted from this county.
    CarerFactory.create(
        role=CarerRole.VOLUNTEER, organisation__area=p.other_county
    ).service_areas.add(p.village_a)
    rollups_rebuild(today)
    # Through the services, as users would: a visit, a move, an exit, an examination.
    care_services.contact_log(
        actor=p.volunteer,
        child=p.child_a,
        kind="volunteer_visit",
        duration_minutes=30,
        occurred_at=timezone.now(),
        activities=["homework"],
    )
    registry_services.child_update(
        actor=p.admin, child=county.extra_a[3], values={"village": p.village_b}
    )
    registry_services.child_exit(
        actor=p.admin, child=county.extra_b[0], reason=ExitReason.MOVED_AWAY
    )
    # The carers: one added at the officer's station, the volunteer moved to an organisation of
    # township B (the audit entry names only the one joined), the doctor stopping.
    station = p.officer.carer.organisation  # type: ignore[union-attr]
    officer = account_services.carer_create(
        actor=p.admin,
        role=CarerRole.POLICE,
        values={
            "name": "王警官",
            "sex": "M",
            "phone": "13700001111",
            "organisation": station,
            "capacity": 40,
        },
    )
    elsewhere = OrganisationFactory.create(
        area=p.township_b, kind=Organisation.Kind.VOLUNTEER_GROUP, name="志愿服务队"
    )
    account_services.carer_update(
        actor=p.admin,
        carer=p.volunteer.carer,  # type: ignore[arg-type]
        values={"organisation": elsewhere},
    )
    pairing_services.carer_deactivate(actor=p.admin, carer=p.doctor.carer)  # type: ignore[arg-type]
    # Who serves where: the added officer serves village B too, a county hospital's doctor
    # serves a village of each township, and township A's officer now serves only village B.
    account_services.carer_update(
        actor=p.admin, carer=officer, values={"service_areas": [p.village_b]}
    )
    hospital = OrganisationFactory.create(
        area=p.county, kind=Organisation.Kind.HEALTH_CENTRE, name="县人民医院"
    )
    account_services.carer_create(
        actor=p.admin,
        role=CarerRole.DOCTOR,
        values={
            "name": "陈医生",
            "sex": "F",
            "phone": "13700002222",
            "organisation": hospital,
            "capacity": 40,
            "service_areas": [p.village_a, p.village_b],
        },
    )
    account_services.carer_update(
        actor=p.admin,
        carer=p.officer.carer,  # type: ignore[arg-type]
        values={"service_areas": [p.village_b]},
    )
    rollups_catch_up(today)
    incremental = snapshot()
    active = Carer.objects.filter(active=True, organisation__area__code__startswith=p.county.code)
    for area in (p.county, p.township_a, p.township_b):
        here = active.filter(organisation__area__code__startswith=area.code)
        expected = Counter(here.values_list("role", flat=True))
        assert +Counter(selectors.read(area).by("carers")) == expected, area
    # A township's carers serving it are the carers list's, filtered by the township.
    for township in (p.township_a, p.township_b):
        listed = carer_list(p.admin, area=township.pk).filter(active=True)
        expected = Counter(listed.values_list("role", flat=True))
        assert +Counter(selectors.read(township).by("carers_serving")) == expected, township
    assert selectors.read(p.township_b).by("carers_serving") == {
        "police": 2,  # both officers of township A serve village B
        "doctor": 1,  # the county's doctor
        "volunteer": 1,  # the volunteer who moved there
    }
    rollups_rebuild(today)
    assert snapshot() == incremental
    month = selectors.period_parse(None)
    assert selectors.children(p.admin, p.county, month).total == 7
    # Village B: child B and B1, and A3 who moved there (B0 left).
    assert selectors.overview(p.director_b, p.village_b, month).children == 3
    # The daily refresh of every village changes nothing more, and neither does the command.
    rollups_refresh_all(today)
    assert snapshot() == incremental
    call_command("insights", "rebuild", verbosity=0)
    assert snapshot() == incremental


def test_response_time_buckets_are_within_two_and_a_half_percent() -> None:
    for seconds in (1, 30, 59, 300, 1200, 3600, 86400):
        value = bucket_value(bucket_of(seconds))
        assert abs(value - seconds) <= 0.025 * seconds + 1


def test_periods() -> None:
    assert selectors.period_parse("2026-05").months == ("2026-05",)
    assert selectors.period_parse("2026-Q2").months == ("2026-04", "2026-05", "2026-06")
    assert len(selectors.period_parse("2025").months) == 12
    assert selectors.period_parse("2026-Q1").year_before().months[0] == "2025-01"
    for bad in ("2026-13", "2026-Q5", "26-01", "1999-01", "2026-1"):
        with pytest.raises(ValueError):
            selectors.period_parse(bad)
