"""The stored next-due dates (`PlanDue`): after any sequence of writes through the services, the
rows are exactly what `plan_status` works out from the tables; the due lists read them in the
order and scope the rule gives; the daily rebuild and `care365 plans rebuild` restore them."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from care365.accounts.models import User
from care365.care import jobs, selectors, services
from care365.care.access import RESPONSIBLE, responsible_children
from care365.care.models import CareSettings, ContactKind, PlanDue, PlanKind, RiskScore
from care365.care.services.plans import (
    CHUNK,
    REWRITE_LEASE,
    _refresh_in_chunks,
    plan_due_rebuild,
    plan_due_refresh,
    plans_rewrite_pending,
)
from care365.care.tests.factories import registered_on, team
from care365.imports.tests.helpers import CHILD_HEADER, child_row, run_import, write_csv
from care365.pairing import services as pairing_services
from care365.registry import services as registry_services
from care365.registry.models import (
    Child,
    ConsentPurpose,
    ExitReason,
    ParentSituation,
    StatusKind,
)
from care365.registry.services import ChildInput
from care365.registry.tests.factories import valid_id_number
from conftest import Personas

pytestmark = pytest.mark.django_db

Row = tuple[int, int, str, date, date | None, int | None, bool]


def stored() -> set[Row]:
    return set(
        PlanDue.objects.values_list(
            "child_id", "village_id", "kind", "due_on", "last_on", "interval_days", "tightened"
        )
    )


def from_scratch() -> set[Row]:
    """Every active child's plan, worked out by the rule itself (`plan_status`)."""
    children = Child.objects.filter(exited_on__isnull=True).only(*selectors.PLAN_FIELDS)
    return {
        (
            i.child.pk,
            i.child.village_id,
            i.kind,
            i.due_on,
            i.last_on,
            i.interval_days,
            i.tightened,
        )
        for i in selectors.plan_status(children, PlanKind.values, timezone.localdate())
    }


def due_by_the_rule(user: User, today: date, within_days: int) -> list[tuple[int, str, date]]:
    """The due list as `due_for_user` worked it out before the rows were stored."""
    kinds = RESPONSIBLE.get(user.role, frozenset())
    children = responsible_children(user).only(*selectors.PLAN_FIELDS)
    items = [
        i
        for i in selectors.plan_status(children, kinds, today)
        if i.due_on <= today + timedelta(days=within_days)
    ]
    items.sort(key=lambda i: (-i.days_overdue, i.kind, i.child.pk))
    return [(i.child.pk, i.kind, i.due_on) for i in items]


def register(personas: Personas, n: int, *, away: bool) -> Child:
    parents = (
        {"father": {"situation": ParentSituation.AWAY_FOR_WORK, "work_place": "温州"}}
        if away
        else {}
    )
    born = date(2016, 1 + n % 12, 1 + n % 27)
    data = ChildInput(
        child={
            "name": f"陈小{'明红兰雨'[n % 4]}",
            "sex": "F",
            "birth_date": born,
            "id_number": valid_id_number(born, "F", 700 + n),
            "village": personas.village_a if n % 2 else personas.village_b,
            "grade": "p3",
        },
        statuses=[StatusKind.LEFT_BEHIND],
        parents=parents,
    )
    return registry_services.child_register(actor=personas.admin, data=data)


class Operations:
    """Writes through the services, each picked at random; a write a service refuses (a
    ValidationError) changes nothing and is skipped, as it would be for a user."""

    def __init__(self, personas: Personas, rng: random.Random) -> None:
        self.p = personas
        self.rng = rng
        self.count = 0
        self.done: list[str] = []

    def children(self) -> list[Child]:
        county = self.p.county.code
        return list(
            Child.objects.filter(exited_on__isnull=True, village__code__startswith=county)
            .select_related("village")
            .order_by("pk")
        )

    def child(self) -> Child:
        return self.rng.choice(self.children())

    def contact(self) -> None:
        p, child = self.p, self.child()
        director = p.director_a if child.village_id == p.village_a.pk else p.director_b
        kind, actor = self.rng.choice(
            [
                (ContactKind.VOLUNTEER_VISIT, p.volunteer),
                (ContactKind.SAFETY_CHECK, p.officer),
                (ContactKind.HOME_VISIT, director),
                (ContactKind.PARENT_CONTACT, director),
                (ContactKind.CONSULTATION, p.doctor),
            ]
        )
        extra: dict[str, Any] = {}
        if kind == ContactKind.PARENT_CONTACT:
            extra = {"channel": "video", "parent": "father"}
        services.contact_log(
            actor=actor,
            child=child,
            kind=kind,
            duration_minutes=20,
            occurred_at=timezone.now() - timedelta(days=self.rng.randint(0, 90)),
            **extra,
        )

    def examination(self) -> None:
        today = timezone.localdate()
        services.examination_record(
            actor=self.p.doctor,
            child=self.child(),
            examined_on=today - timedelta(days=self.rng.randint(0, 400)),
            height_cm=140.0,
            weight_kg=35.0,
            today=today,
        )

    def assign(self) -> None:
        carer = self.rng.choice([self.p.officer, self.p.doctor, self.p.volunteer]).carer
        assert carer is not None
        pairing_services.pairing_assign(actor=self.p.admin, child=self.child(), carer=carer)

    def pairing_run(self) -> None:
        run = pairing_services.pairing_propose(actor=self.p.admin, county=self.p.county)
        pairing_services.pairing_approve(actor=self.p.admin, run=run)

    def carer_stops(self) -> None:
        carer = self.rng.choice([self.p.officer, self.p.doctor, self.p.volunteer]).carer
        assert carer is not None
        pairing_services.carer_deactivate(actor=self.p.admin, carer=carer)
        pairing_services.carer_reactivate(actor=self.p.admin, carer=carer)

    def consent_given(self) -> None:
        purpose = self.rng.choice([ConsentPurpose.VOLUNTEER, ConsentPurpose.HEALTH_SCREENING])
        registry_services.consent_record(actor=self.p.admin, child=self.child(), purpose=purpose)

    def consent_withdrawn(self) -> None:
        pairing_services.consent_withdraw(
            actor=self.p.admin, child=self.child(), purpose=ConsentPurpose.VOLUNTEER
        )

    def parent_away(self) -> None:
        registry_services.child_update(
            actor=self.p.admin,
            child=self.child(),
            values={},
            parents={"mother": {"situation": ParentSituation.AWAY_FOR_WORK, "work_place": "杭州"}},
        )

    def parent_home(self) -> None:
        role = self.rng.choice(["father", "mother"])
        registry_services.parent_return(actor=self.p.admin, child=self.child(), role=role)

    def move(self) -> None:
        child = self.child()
        village = self.p.village_b if child.village_id == self.p.village_a.pk else self.p.village_a
        registry_services.child_update(actor=self.p.admin, child=child, values={"village": village})

    def exit(self) -> None:
        if len(self.children()) > 3:
            registry_services.child_exit(
                actor=self.p.admin, child=self.child(), reason=ExitReason.MOVED_AWAY
            )

    def register(self) -> None:
        self.count += 1
        register(self.p, self.count, away=self.rng.random() < 0.5)

    def import_rows(self) -> None:
        """A register imported: two new children (one with the father away, one with both
        parents at home) and a registered child's row again, with the mother now away."""
        self.count += 2
        born = date(2015, 3, 1 + self.count % 27)
        seq = 600 + self.count
        rows = [
            child_row("李小雨", "男" if seq % 2 else "女", born, seq),
            child_row(
                "李小山", "女" if seq % 2 else "男", born, seq + 1, village="大赤坑村",
                父亲状况="在家", 父亲务工地点="",
            ),
        ]  # fmt: skip
        known = self.rng.choice(self.children())
        row = child_row(
            known.name, "女" if known.sex == "F" else "男", known.birth_date, 0,
            village=known.village.name,
        )  # fmt: skip
        row[CHILD_HEADER.index("公民身份号码")] = known.id_number
        header = [*CHILD_HEADER, "母亲状况"]
        rows = [*([*r, "在家"] for r in rows), [*row, "外出务工"]]
        with tempfile.TemporaryDirectory() as folder:
            path = write_csv(Path(folder) / "register.csv", header, rows)
            code, result = run_import("children", str(path), "--county", self.p.county.code)
        assert code == 0, result["errors"]

    def risk_list(self) -> None:
        threshold = self.rng.choice([1, 500])
        services.care_settings_update(
            actor=self.p.admin, county=self.p.county, values={"risk_threshold": threshold}
        )
        jobs.risk_recompute(timezone.localdate())

    def settings(self) -> None:
        values = {
            "volunteer_visit_days": self.rng.choice([7, 10, 28]),
            "home_visit_days": self.rng.choice([14, 30]),
            "safety_check_days": self.rng.choice([30, 91]),
            "parent_contact_days": self.rng.choice([7, 14]),
            "risk_interval_percent": self.rng.choice([30, 50, 100]),
        }
        name = self.rng.choice(list(values))
        services.care_settings_update(
            actor=self.p.admin, county=self.p.county, values={name: values[name]}
        )

    def run_one(self) -> None:
        ops: list[Callable[[], None]] = [
            self.contact,
            self.contact,
            self.examination,
            self.assign,
            self.pairing_run,
            self.carer_stops,
            self.consent_given,
            self.consent_withdrawn,
            self.parent_away,
            self.parent_home,
            self.move,
            self.exit,
            self.register,
            self.import_rows,
            self.risk_list,
            self.settings,
        ]
        op = self.rng.choice(ops)
        try:
            op()
        except ValidationError:
            self.done.append(f"{op.__name__} (refused)")
        else:
            self.done.append(op.__name__)


@pytest.mark.parametrize(("seed", "inline_limit"), [(1, CHUNK), (2, CHUNK), (3, 2)])
def test_after_any_sequence_of_writes_the_rows_are_the_plan_worked_out_afresh(
    personas: Personas, seed: int, inline_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a limit of 2, a pairing run's children are left to the worker.
    monkeypatch.setattr("care365.care.services.plans.INLINE_LIMIT", inline_limit)
    today = timezone.localdate()
    registered_on(personas.child_a, today - timedelta(days=200))
    team(personas, personas.child_a, since=today - timedelta(days=150))
    for n in range(3):
        register(personas, 100 + n, away=n != 1)
    ops = Operations(personas, random.Random(seed))  # noqa: S311  # test data
    assert stored() == from_scratch()
    for step in range(40):
        ops.run_one()
        # A change of the county's intervals is rewritten by a worker, which comes now or after
        # more writes: the rows are the plan once no county waits for it.
        if ops.rng.random() < 0.5:
            plans_rewrite_pending()
        if not CareSettings.objects.filter(plans_stale_since__isnull=False).exists():
            assert stored() == from_scratch(), (step, ops.done)
    plans_rewrite_pending()
    assert stored() == from_scratch(), ops.done
    # Most kinds of write happened, and were not all refused.
    assert len({name for name in ops.done if "refused" not in name}) >= 8, ops.done
    for user in (
        personas.admin,
        personas.supervisor_a,
        personas.director_a,
        personas.director_b,
        personas.officer,
        personas.doctor,
        personas.volunteer,
    ):
        for within in (0, 7, 400):
            got = [
                (i.child.pk, i.kind, i.due_on)
                for i in selectors.due_for_user(user, today, within_days=within)
            ]
            assert got == due_by_the_rule(user, today, within), (user.username, within)


def test_each_write_rewrites_the_childs_rows(personas: Personas) -> None:
    p, today = personas, timezone.localdate()
    child = register(p, 1, away=False)

    def kinds() -> set[str]:
        return set(PlanDue.objects.filter(child=child).values_list("kind", flat=True))

    # Registered: a home visit, a safety check and an examination; no parent away, no consent.
    assert kinds() == {PlanKind.HOME_VISIT, PlanKind.SAFETY_CHECK, PlanKind.EXAMINATION}
    registry_services.child_update(
        actor=p.admin,
        child=child,
        values={},
        parents={"father": {"situation": ParentSituation.AWAY_FOR_WORK, "work_place": "温州"}},
    )
    assert PlanKind.PARENT_CONTACT in kinds()
    registry_services.parent_return(actor=p.admin, child=child, role="father")
    assert PlanKind.PARENT_CONTACT not in kinds()
    registry_services.consent_record(actor=p.admin, child=child, purpose=ConsentPurpose.VOLUNTEER)
    assert PlanKind.VOLUNTEER_VISIT in kinds()
    # A contact moves its kind's due date.
    services.contact_log(
        actor=p.director_a, child=child, kind=ContactKind.HOME_VISIT, duration_minutes=30
    )
    row = PlanDue.objects.get(child=child, kind=PlanKind.HOME_VISIT)
    assert (row.last_on, row.due_on) == (today, today + timedelta(days=30))
    # A pairing with the officer starts the safety checks' plan today.
    officer = p.officer.carer
    assert officer is not None
    pairing_services.pairing_assign(actor=p.admin, child=child, carer=officer)
    row = PlanDue.objects.get(child=child, kind=PlanKind.SAFETY_CHECK)
    assert row.due_on == today + timedelta(days=91)
    # The county's intervals: every child of the county, rewritten by a worker.
    services.care_settings_update(actor=p.admin, county=p.county, values={"safety_check_days": 60})
    row = PlanDue.objects.get(child=child, kind=PlanKind.SAFETY_CHECK)
    assert row.interval_days == 91
    assert p.county.code in plans_rewrite_pending()
    row = PlanDue.objects.get(child=child, kind=PlanKind.SAFETY_CHECK)
    assert (row.interval_days, row.due_on) == (60, today + timedelta(days=60))
    assert CareSettings.objects.get(county=p.county).plans_stale_since is None
    # The risk list tightens it (the child's mood falls: a reason on the list).
    for days_ago, mood in ((3, 5), (2, 3), (1, 1)):
        services.contact_log(
            actor=p.director_a,
            child=child,
            kind=ContactKind.PARENT_CONTACT,
            channel="video",
            parent="father",
            duration_minutes=10,
            mood=mood,
            occurred_at=timezone.now() - timedelta(days=days_ago),
        )
    services.care_settings_update(actor=p.admin, county=p.county, values={"risk_threshold": 1})
    jobs.risk_recompute(today)
    assert RiskScore.objects.get(child=child).on_list
    row = PlanDue.objects.get(child=child, kind=PlanKind.SAFETY_CHECK)
    assert (row.interval_days, row.tightened) == (30, True)
    # Withdrawn consent: no volunteer's visits.
    pairing_services.consent_withdraw(actor=p.admin, child=child, purpose=ConsentPurpose.VOLUNTEER)
    assert PlanKind.VOLUNTEER_VISIT not in kinds()
    # A move: the rows follow the child to the new village.
    registry_services.child_update(actor=p.admin, child=child, values={"village": p.village_a})
    assert set(PlanDue.objects.filter(child=child).values_list("village_id", flat=True)) == {
        p.village_a.pk
    }
    # An exit: off every list.
    registry_services.child_exit(actor=p.admin, child=child, reason=ExitReason.MOVED_AWAY)
    assert kinds() == set()
    assert stored() == from_scratch()


def test_a_failed_write_leaves_the_rows_as_they_were(personas: Personas) -> None:
    child = register(personas, 2, away=True)
    before = stored()
    with pytest.raises(ValidationError):
        registry_services.parent_return(actor=personas.admin, child=child, role="mother")
    assert stored() == before


def test_an_area_sees_only_its_own_rows(personas: Personas) -> None:
    today = timezone.localdate()
    a, b = register(personas, 3, away=True), register(personas, 4, away=True)
    assert {a.village_id, b.village_id} == {personas.village_a.pk, personas.village_b.pk}
    in_a = a if a.village_id == personas.village_a.pk else b
    other = personas.child_other
    assert PlanDue.objects.filter(child=other).exists()
    for user, allowed in (
        (personas.director_a, {in_a.pk, personas.child_a.pk}),
        (personas.other_admin, {other.pk}),
    ):
        seen = {i.child.pk for i in selectors.due_for_user(user, today, within_days=999)}
        assert seen and seen <= allowed, user.username
    everyone = {i.child.pk for i in selectors.due_for_user(personas.admin, today, within_days=999)}
    assert other.pk not in everyone and in_a.pk in everyone
    # Nobody without a scope sees a row.
    assert selectors.due_for_user(personas.outsider, today, within_days=999) == []
    assert selectors.due_for_user(personas.province_official, today, within_days=999) == []


def test_the_lazy_list_pages_and_counts_in_the_database(personas: Personas) -> None:
    today = timezone.localdate()
    for n in range(6):
        register(personas, 10 + n, away=n % 2 == 0)
    whole = selectors.due_for_user(personas.admin, today, within_days=999)
    lazy = selectors.due_list_for_user(personas.admin, today, within_days=999)
    assert lazy.count() == len(lazy) == len(whole) > 10
    assert lazy.overdue_count() == sum(1 for i in whole if i.overdue)
    assert lazy[3:9] == whole[3:9]
    assert lazy[0] == whole[0] and lazy[-1] == whole[-1]
    assert list(lazy) == whole


def test_the_rebuild_restores_every_row(personas: Personas) -> None:
    for n in range(4):
        register(personas, 20 + n, away=True)
    expected = stored()
    assert expected == from_scratch()
    PlanDue.objects.all().delete()
    assert "children's plans rewritten" in plan_due_rebuild(chunk=2)
    assert stored() == expected
    # Rows gone wrong (a child who left, a date changed by hand) are put right by the command.
    child = Child.objects.filter(exited_on__isnull=True).first()
    assert child is not None
    PlanDue.objects.filter(child=child).update(due_on=date(2000, 1, 1))
    Child.objects.filter(pk=personas.child_b.pk).update(
        exited_on=timezone.localdate(), exit_reason=ExitReason.MOVED_AWAY
    )
    out = StringIO()
    call_command("plans", "rebuild", stdout=out)
    assert "planned items" in out.getvalue()
    assert stored() == from_scratch()
    assert not PlanDue.objects.filter(child=personas.child_b).exists()
    # The daily job is the same rebuild.
    PlanDue.objects.all().delete()
    jobs.plan_due_rebuild_daily(timezone.localdate())
    assert stored() == from_scratch()


def test_refreshing_children_in_chunks_writes_the_same_rows(personas: Personas) -> None:
    ids = [register(personas, 30 + n, away=n % 2 == 0).pk for n in range(5)]
    expected = stored()
    PlanDue.objects.all().delete()
    plan_due_refresh([*ids, personas.child_a.pk, personas.child_b.pk, personas.child_other.pk])
    once = stored()
    PlanDue.objects.all().delete()
    plan_due_refresh(
        [*ids, personas.child_a.pk, personas.child_b.pk, personas.child_other.pk], chunk=2
    )
    assert stored() == once == expected


def test_a_countys_new_intervals_are_rewritten_once_by_one_worker(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's rewrite claims the county by a lease: a county being rewritten is left to
    its worker, a lease run out is taken over, and a change made during the rewrite is
    rewritten again."""
    p = personas

    def intervals(county: Any = p.county) -> set[int | None]:
        rows = PlanDue.objects.filter(
            kind=PlanKind.HOME_VISIT, village__code__startswith=county.code
        )
        return set(rows.values_list("interval_days", flat=True))

    row = services.care_settings_update(
        actor=p.admin, county=p.county, values={"home_visit_days": 14}
    )
    assert row.plans_stale_since is not None
    assert intervals() == {30}
    # Another worker holds the lease: nothing is done here.
    started = timezone.now()
    CareSettings.objects.filter(pk=row.pk).update(plans_rewrite_started_at=started)
    assert plans_rewrite_pending() == ""
    assert intervals() == {30}
    # Its lease has run out (the worker died): taken over.
    CareSettings.objects.filter(pk=row.pk).update(
        plans_rewrite_started_at=started - REWRITE_LEASE - timedelta(seconds=1)
    )
    assert p.county.code in plans_rewrite_pending()
    assert intervals() == {14}
    assert intervals(p.other_county) == {30}  # another county's plan is its own
    row = CareSettings.objects.get(pk=row.pk)
    assert (row.plans_stale_since, row.plans_rewrite_started_at) == (None, None)
    assert plans_rewrite_pending() == ""  # nothing left to do

    # A change made while the county is rewritten: the county stays marked, and is rewritten
    # again with the latest intervals.
    services.care_settings_update(actor=p.admin, county=p.county, values={"home_visit_days": 21})
    rebuild = plan_due_rebuild
    runs: list[set[int | None]] = []

    def changed_meanwhile(**kwargs: Any) -> str:
        result = rebuild(**kwargs)
        runs.append(intervals())
        if len(runs) == 1:
            services.care_settings_update(
                actor=p.admin, county=p.county, values={"home_visit_days": 45}
            )
        return result

    monkeypatch.setattr("care365.care.services.plans.plan_due_rebuild", changed_meanwhile)
    plans_rewrite_pending()
    assert runs == [{21}, {45}]
    row = CareSettings.objects.get(pk=row.pk)
    assert (row.plans_stale_since, row.plans_rewrite_started_at) == (None, None)
    assert stored() == from_scratch()


def test_a_run_changing_many_children_leaves_their_rows_to_the_worker(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to INLINE_LIMIT children changed at once are rewritten in the writer's transaction;
    more (a county-wide run approved) mark their county, and the worker rewrites it."""
    p = personas
    for n in range(4):  # registered long ago: a carer starting today moves their due dates
        registered_on(register(p, 200 + n, away=True), timezone.localdate() - timedelta(days=200))
    monkeypatch.setattr("care365.care.services.plans.INLINE_LIMIT", 3)
    before = stored()
    run = pairing_services.pairing_propose(actor=p.admin, county=p.county)
    pairing_services.pairing_approve(actor=p.admin, run=run)
    assert run.figures["applied"]["started"] > 3
    marked = CareSettings.objects.filter(plans_stale_since__isnull=False)
    assert list(marked.values_list("county", flat=True)) == [p.county.pk]
    assert stored() == before != from_scratch()  # the new carers' visits are not planned yet
    assert p.county.code in plans_rewrite_pending()
    assert stored() == from_scratch()
    assert not marked.exists()

    # A few children changed: rewritten at once, nothing marked.
    monkeypatch.setattr("care365.care.services.plans.INLINE_LIMIT", CHUNK)
    registry_services.child_exit(actor=p.admin, child=p.child_a, reason=ExitReason.MOVED_AWAY)
    run = pairing_services.pairing_propose(actor=p.admin, county=p.county)
    pairing_services.pairing_approve(actor=p.admin, run=run)
    assert stored() == from_scratch()
    assert not marked.exists()


def test_a_rebuild_settles_the_marks_made_before_it_began(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = personas
    services.care_settings_update(actor=p.admin, county=p.county, values={"home_visit_days": 14})
    rebuild = plan_due_rebuild
    marked = CareSettings.objects.filter(plans_stale_since__isnull=False)
    plan_due_rebuild(area=p.township_a)  # not a whole county: the mark stays
    assert marked.exists()
    plan_due_rebuild(area=p.county)
    assert not marked.exists() and stored() == from_scratch()

    # A change marked while the rebuild runs stays marked for the worker.
    def changed_meanwhile(**kwargs: Any) -> tuple[int, int]:
        result = refresh(**kwargs)
        services.care_settings_update(
            actor=p.admin, county=p.county, values={"home_visit_days": 45}
        )
        return result

    refresh = _refresh_in_chunks
    monkeypatch.setattr("care365.care.services.plans._refresh_in_chunks", changed_meanwhile)
    rebuild()
    assert list(marked.values_list("county", flat=True)) == [p.county.pk]


def test_a_failed_rewrite_leaves_the_county_marked_for_the_next_run(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = personas
    services.care_settings_update(actor=p.admin, county=p.county, values={"home_visit_days": 14})

    def fails(**kwargs: Any) -> str:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("care365.care.services.plans.plan_due_rebuild", fails)
    with pytest.raises(RuntimeError):
        plans_rewrite_pending()
    row = CareSettings.objects.get(county=p.county)
    assert row.plans_stale_since is not None and row.plans_rewrite_started_at is None
    monkeypatch.undo()
    plans_rewrite_pending()
    assert stored() == from_scratch()
