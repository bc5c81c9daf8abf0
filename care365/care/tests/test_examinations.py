"""Health examinations on DOMAIN.md's schedule, growth scores kept at entry, health education
sessions, and who may read any of it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils import translation

from care365.care import growth, plans, selectors, services
from care365.care.models import Examination
from care365.care.tests.factories import REGISTERED, TODAY, team
from care365.core.models import AuditEvent
from care365.registry.models import ConsentPurpose
from conftest import Personas

D = timedelta(days=1)


# --- the schedule (pure) -------------------------------------------------------------------


def test_add_months_keeps_to_the_months_last_day() -> None:
    assert plans.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert plans.add_months(date(2023, 11, 15), 3) == date(2024, 2, 15)


def test_a_baby_is_first_due_at_three_months() -> None:
    born = date(2026, 1, 15)
    assert plans.exam_next_due(birth=born, last=None, start=date(2026, 1, 20)) == date(2026, 4, 15)


def test_a_child_registered_after_a_milestone_is_due_at_once() -> None:
    born = date(2025, 1, 15)
    assert plans.exam_next_due(birth=born, last=None, start=date(2026, 1, 20)) == date(2026, 1, 20)


def test_an_examination_a_little_early_counts_for_its_milestone() -> None:
    born = date(2025, 1, 15)
    # Six months fall on 15 July; an examination on 10 July counts for it: next is 8 months.
    assert plans.exam_next_due(birth=born, last=date(2025, 7, 10), start=born) == date(2025, 9, 15)
    # One at five months (mid June) is the overdue three-month check: six months still due.
    assert plans.exam_next_due(birth=born, last=date(2025, 6, 1), start=born) == date(2025, 7, 15)


def test_under_sixes_are_seen_yearly_at_four_five_and_six() -> None:
    born = date(2020, 3, 1)
    assert plans.exam_next_due(birth=born, last=date(2023, 3, 5), start=born) == date(2024, 3, 1)
    assert plans.exam_next_due(birth=born, last=date(2025, 12, 20), start=born) == date(2026, 3, 1)


def test_school_age_children_are_seen_once_a_year() -> None:
    born = date(2015, 3, 14)
    assert plans.exam_next_due(birth=born, last=date(2025, 9, 1), start=born) == date(2026, 9, 1)


# --- entering an examination ---------------------------------------------------------------


def record(personas: Personas, who: str = "doctor", **kwargs: Any) -> Examination:
    values: dict[str, Any] = {
        "child": personas.child_a,
        "examined_on": TODAY,
        "height_cm": 140.2,
        "weight_kg": 33.1,
        "vision_left": Decimal("5.0"),
        "vision_right": Decimal("4.8"),
        "decayed_teeth": 1,
        "systolic": 105,
        "diastolic": 68,
        "today": TODAY,
    }
    values.update(kwargs)
    return services.examination_record(actor=getattr(personas, who), **values)


@pytest.mark.django_db
def test_doctor_records_an_examination_with_whos_scores(personas: Personas) -> None:
    child = team(personas)
    exam = record(personas)
    exam.refresh_from_db()
    expected = growth.assess(
        sex="F", age_days=(TODAY - child.birth_date).days, height_cm=140.2, weight_kg=33.1
    )
    assert exam.height_cm == Decimal("140.2") and exam.weight_kg == Decimal("33.10")
    assert (exam.zhfa, exam.zwfa, exam.zbfa) == (expected.zhfa, expected.zwfa, expected.zbfa)
    assert exam.zhfa is not None and exam.zbfa is not None
    assert exam.zwfa is None  # the 2007 weight-for-age reference stops at ten years
    assert exam.growth_reference == "who2007"
    assert exam.doctor == personas.doctor.carer
    assert exam.poor_vision  # 4.8 in the right eye
    audit = AuditEvent.objects.get(action="examination_record", object_id=exam.pk)
    assert "height_cm" in audit.changes and "notes" not in audit.changes


@pytest.mark.django_db
def test_growth_classes_are_kept_as_they_were_at_entry(personas: Personas) -> None:
    team(personas)
    exam = record(personas, height_cm=120.0, weight_kg=20.0)
    expected = growth.assess(
        sex="F",
        age_days=(TODAY - personas.child_a.birth_date).days,
        height_cm=120.0,
        weight_kg=20.0,
    )
    assert "severe_stunting" in exam.growth_classes
    assert exam.growth_classes == [c.value for c in expected.classes]
    absurd = record(
        personas,
        height_cm=60.0,
        weight_kg=80.0,
        vision_left=None,
        vision_right=None,
        confirm_implausible=True,
    )
    assert "implausible_zhfa" in absurd.growth_flags


def codes(exc: ValidationError) -> dict[str, list[str | None]]:
    return {name: [e.code for e in errors] for name, errors in exc.error_dict.items()}


@pytest.mark.django_db
def test_an_implausible_value_is_refused_beside_its_field_until_confirmed(
    personas: Personas,
) -> None:
    team(personas)
    # 120 cm and 2 kg at 11: a BMI no child has (BMI-for-age z about -13).
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        record(personas, height_cm=120.0, weight_kg=2.0)
    assert codes(exc.value) == {"weight_kg": ["implausible"]}
    assert "BMI-for-age z = -1" in exc.value.message_dict["weight_kg"][0]
    with pytest.raises(ValidationError) as exc:
        record(personas, height_cm=60.0, weight_kg=None)
    assert codes(exc.value) == {"height_cm": ["implausible"]}
    assert not Examination.objects.exists()
    kept = record(personas, height_cm=120.0, weight_kg=2.0, confirm_implausible=True)
    assert kept.growth_flags == ["implausible_zbfa"]
    # Beyond any child: refused by the field's own range, confirmed or not.
    with pytest.raises(ValidationError) as exc:
        record(personas, height_cm=310.0, confirm_implausible=True)
    assert set(exc.value.message_dict) == {"height_cm"}
    assert Examination.objects.count() == 1


@pytest.mark.django_db
def test_a_baby_measured_standing_is_asked_about(personas: Personas) -> None:
    baby = personas.child_a
    baby.birth_date = TODAY - timedelta(days=120)
    baby.save()
    team(personas)
    with pytest.raises(ValidationError) as exc:
        record(personas, height_cm=62.0, weight_kg=6.0, position="height")
    assert codes(exc.value) == {"position": ["implausible"]}


@pytest.mark.django_db
def test_an_examination_needs_the_guardians_consent_like_a_screening(
    personas: Personas,
) -> None:
    child = team(personas)
    child.consents.filter(purpose=ConsentPurpose.HEALTH_SCREENING).update(withdrawn_on=TODAY)
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        record(personas)
    assert codes(exc.value) == {"child": ["no_consent"]}
    assert "children's director or township supervisor" in exc.value.message_dict["child"][0]
    assert not Examination.objects.exists()


@pytest.mark.django_db
def test_only_the_childs_doctor_records_examinations(personas: Personas) -> None:
    team(personas)
    for who in ("volunteer", "officer", "director_a", "admin"):
        with pytest.raises(ValidationError) as exc:
            record(personas, who)
        assert set(exc.value.message_dict) == {"child"}
    with pytest.raises(ValidationError) as exc:
        record(personas, child=personas.child_b)
    assert set(exc.value.message_dict) == {"child"}
    assert not Examination.objects.exists()


@pytest.mark.django_db
def test_examination_values_are_checked_by_field(personas: Personas) -> None:
    team(personas)
    with pytest.raises(ValidationError) as exc:
        record(personas, vision_left=Decimal("6.1"), systolic=120, diastolic=None)
    assert set(exc.value.message_dict) == {"vision_left", "diastolic"}
    with pytest.raises(ValidationError) as exc:
        record(personas, examined_on=TODAY + D, systolic=60, diastolic=70)
    assert set(exc.value.message_dict) == {"examined_on", "diastolic"}
    with pytest.raises(ValidationError) as exc:
        record(
            personas,
            height_cm=None,
            weight_kg=None,
            vision_left=None,
            vision_right=None,
            decayed_teeth=None,
            systolic=None,
            diastolic=None,
        )
    assert set(exc.value.message_dict) == {NON_FIELD_ERRORS}


@pytest.mark.django_db
def test_overdue_examinations_are_on_the_doctors_list(personas: Personas) -> None:
    team(personas)
    (item,) = selectors.examinations_due(personas.doctor, TODAY)
    assert (item.child.pk, item.due_on, item.last_on) == (personas.child_a.pk, REGISTERED, None)
    assert selectors.examinations_due(personas.volunteer, TODAY) == []
    assert selectors.examinations_due(personas.officer, TODAY) == []
    record(personas, examined_on=TODAY - 10 * D)
    assert selectors.examinations_due(personas.doctor, TODAY) == []
    (item,) = selectors.examinations_due(personas.doctor, TODAY, within_days=400)
    assert item.due_on == date(2027, 5, 22) and item.last_on == TODAY - 10 * D


@pytest.mark.django_db
def test_volunteers_and_officers_get_no_health_data(personas: Personas) -> None:
    child = team(personas)
    record(personas)
    for who in ("volunteer", "officer", "outsider"):
        user = getattr(personas, who)
        assert not selectors.examinations_for_child(user, child).exists()
        assert selectors.growth_points(user, child) == []
        assert not selectors.health_sessions_for_user(user).exists()
    for who in ("doctor", "director_a", "supervisor_a", "admin"):
        (point,) = selectors.growth_points(getattr(personas, who), child)
        assert point.height_cm == 140.2 and point.zhfa is not None
        assert 134 < point.age_months < 135


# --- health education sessions ---------------------------------------------------------------


@pytest.mark.django_db
def test_health_education_sessions(personas: Personas) -> None:
    team(personas)
    session = services.health_session_record(
        actor=personas.doctor,
        topic="myopia",
        title="用眼卫生",
        held_on=TODAY,
        area=personas.village_a,
        children=[personas.child_a],
        today=TODAY,
    )
    assert list(session.children.all()) == [personas.child_a]
    assert session.doctor == personas.doctor.carer
    with pytest.raises(ValidationError) as exc:
        services.health_session_record(
            actor=personas.doctor,
            topic="",
            held_on=TODAY + D,
            area=personas.other_village,
            children=[personas.child_a, personas.child_b],
            today=TODAY,
        )
    assert set(exc.value.message_dict) == {"topic", "held_on", "area", "children"}
    by_director = services.health_session_record(
        actor=personas.director_a,
        topic="drowning",
        held_on=TODAY,
        area=personas.village_a,
        children=[personas.child_a],
        doctor=personas.doctor.carer,
        today=TODAY,
    )
    with pytest.raises(ValidationError) as exc:
        services.health_session_record(
            actor=personas.director_a,
            topic="hygiene",
            held_on=TODAY,
            area=personas.village_b,
            children=[personas.child_b],
            today=TODAY,
        )
    assert set(exc.value.message_dict) == {"area", "children"}
    with pytest.raises(PermissionDenied):
        services.health_session_record(
            actor=personas.volunteer, topic="hygiene", held_on=TODAY, area=personas.village_a
        )
    assert set(selectors.health_sessions_for_user(personas.doctor)) == {session, by_director}
    assert set(selectors.health_sessions_for_user(personas.supervisor_a)) == {session, by_director}
    assert not selectors.health_sessions_for_user(personas.director_b).exists()
