from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from care365.core import crypto
from care365.core.models import AuditEvent
from care365.registry import idnumber, services
from care365.registry.models import (
    Child,
    ChildStatus,
    DuplicateFlag,
    ExitReason,
    Parent,
    ParentSituation,
    StatusEndReason,
    StatusKind,
)
from care365.registry.services import ChildInput
from care365.registry.services.children import _flag_duplicates
from care365.registry.services.parents import _still_left_behind
from care365.registry.tests.factories import LeftBehindChildFactory, status_open
from conftest import Personas

pytestmark = pytest.mark.django_db

BORN = date(2016, 5, 20)


def registration(personas: Personas, **overrides: object) -> ChildInput:
    child = {
        "name": "陈小梅",
        "sex": "F",
        "birth_date": BORN,
        "id_number": idnumber.make("331127", BORN, 2),
        "village": personas.village_a,
        "address": "东弄村3组12号",
        "grade": "p4",
        "interests": ["dance"],
    }
    child.update(overrides)
    return ChildInput(
        child=child,
        statuses=[StatusKind.LEFT_BEHIND],
        parents={
            "father": {"situation": ParentSituation.AWAY_FOR_WORK, "work_place": "温州"},
            "mother": {"situation": ParentSituation.AWAY_FOR_WORK, "phone": "13812345678"},
        },
        guardian={"name": "陈爷爷", "relationship": "grandfather", "phone": "13912345678"},
    )


def test_register_keeps_identifying_fields_encrypted_and_hashed(personas: Personas) -> None:
    data = registration(personas)
    child = services.child_register(actor=personas.director_a, data=data)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, address, id_number_hash FROM registry_child WHERE id = %s",
            [child.pk],
        )
        stored_id, stored_address, stored_hash = cursor.fetchone()
    assert data.child["id_number"] not in stored_id
    assert "东弄村" not in stored_address
    assert stored_hash == crypto.lookup_hash(data.child["id_number"])
    fresh = Child.objects.get(pk=child.pk)
    assert fresh.id_number == data.child["id_number"]
    assert fresh.address == "东弄村3组12号"
    assert fresh.guardian.phone == "13912345678"
    assert Parent.objects.get(child=child, role="mother").phone == "13812345678"
    assert list(child.statuses.values_list("kind", flat=True)) == [StatusKind.LEFT_BEHIND]
    event = AuditEvent.objects.get(action="child_register")
    assert event.actor == personas.director_a
    assert "陈小梅" not in str(event.changes) + event.note


def test_same_id_number_twice_is_refused_with_a_clear_message(personas: Personas) -> None:
    first = services.child_register(actor=personas.director_a, data=registration(personas))
    with translation.override("en"), pytest.raises(services.IdNumberTaken) as info:
        services.child_register(
            actor=personas.director_a, data=registration(personas, name="另一个")
        )
    with translation.override("en"):
        messages = info.value.message_dict["id_number"]
    assert messages == [
        "A child with this ID number is already registered. The county administrators are "
        "told, and can move the record to your village if the child moved here."
    ]
    assert info.value.child_id == first.pk  # for the access layer; never shown
    assert Child.objects.filter(name="另一个").count() == 0


def test_errors_come_in_the_users_language(personas: Personas) -> None:
    number = idnumber.make("331127", BORN, 2)
    wrong = next(c for c in "0123456789X" if c != number[17])
    with pytest.raises(ValidationError) as info:
        services.child_register(
            actor=personas.director_a, data=registration(personas, id_number=number[:17] + wrong)
        )
    with translation.override("en"):
        english = info.value.message_dict["id_number"]
    with translation.override("zh-hans"):
        chinese = info.value.message_dict["id_number"]
    assert english == ["The last character does not match: check the number again."]
    assert chinese != english
    assert not Child.objects.exists() or not Child.objects.filter(name="陈小梅").exists()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"birth_date": date(2016, 5, 21)}, "birth_date"),
        ({"sex": "M"}, "sex"),
    ],
)
def test_id_number_must_agree_with_the_record(
    personas: Personas, override: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        services.child_register(actor=personas.director_a, data=registration(personas, **override))
    assert field in info.value.message_dict
    assert not Child.objects.filter(name="陈小梅").exists()


def test_a_bad_parent_field_writes_nothing(personas: Personas) -> None:
    data = registration(personas)
    data.parents["father"]["situation"] = "on the moon"
    with pytest.raises(ValidationError) as info:
        services.child_register(actor=personas.director_a, data=data)
    assert "father_situation" in info.value.message_dict
    assert not Child.objects.filter(name="陈小梅").exists()


def test_same_name_birth_date_and_village_is_flagged_not_refused(personas: Personas) -> None:
    first = services.child_register(actor=personas.director_a, data=registration(personas))
    second = services.child_register(
        actor=personas.director_a,
        data=registration(personas, id_number=idnumber.make("331127", BORN, 4)),
    )
    flag = DuplicateFlag.objects.get()
    assert (flag.child, flag.other) == (second, first)

    services.duplicate_resolve(
        actor=personas.director_a, flag=flag, resolution=DuplicateFlag.Resolution.MERGED
    )
    second.refresh_from_db()
    assert second.exit_reason == ExitReason.DUPLICATE
    assert first.__class__.objects.get(pk=first.pk).exited_on is None
    with pytest.raises(ValidationError):
        services.duplicate_resolve(
            actor=personas.director_a, flag=flag, resolution=DuplicateFlag.Resolution.DISTINCT
        )


def test_exit_ends_open_statuses_with_a_reason(personas: Personas) -> None:
    child = services.child_exit(
        actor=personas.director_a, child=personas.child_a, reason=ExitReason.MOVED_TO_PARENTS
    )
    assert child.exited_on is not None
    status = ChildStatus.objects.get(child=child)
    assert status.end_reason == StatusEndReason.CHILD_EXITED
    with pytest.raises(ValidationError):
        services.child_exit(actor=personas.director_a, child=child, reason=ExitReason.DIED)


def test_exit_needs_a_known_reason(personas: Personas) -> None:
    with pytest.raises(ValidationError) as info:
        services.child_exit(actor=personas.director_a, child=personas.child_a, reason="bored")
    assert "reason" in info.value.message_dict


def test_a_parents_return_ends_left_behind_only_when_it_no_longer_holds(
    personas: Personas,
) -> None:
    child = personas.child_a
    services.parent_return(actor=personas.director_a, child=child, role="father")
    status = ChildStatus.objects.get(child=child, kind=StatusKind.LEFT_BEHIND)
    assert status.ended_on is not None
    assert status.end_reason == StatusEndReason.PARENT_RETURNED


def test_one_parent_away_and_the_other_unable_stays_left_behind(personas: Personas) -> None:
    child = personas.child_a
    Parent.objects.filter(child=child, role="mother").update(
        situation=ParentSituation.UNABLE_TO_GUARD
    )
    Parent.objects.filter(child=child, role="father").update(
        situation=ParentSituation.AWAY_FOR_WORK
    )
    status = ChildStatus.objects.get(child=child)
    assert status.ended_on is None
    assert _still_left_behind(list(child.parents.all()))


def test_turning_16_ends_left_behind_on_the_birthday_and_18_ends_the_rest(
    personas: Personas,
) -> None:
    child = LeftBehindChildFactory.create(village=personas.village_a, birth_date=date(2010, 3, 1))
    status_open(child, StatusKind.DIFFICULTY_POVERTY, started_on=date(2020, 1, 1))
    assert services.statuses_age_out(today=date(2026, 2, 28)) == 0
    assert services.statuses_age_out(today=date(2026, 3, 2)) == 1
    left = ChildStatus.objects.get(child=child, kind=StatusKind.LEFT_BEHIND)
    assert (left.ended_on, left.end_reason) == (date(2026, 3, 1), StatusEndReason.AGED_OUT)
    assert services.statuses_age_out(today=date(2026, 3, 2)) == 0  # idempotent
    assert services.statuses_age_out(today=date(2028, 3, 1)) == 1
    poverty = ChildStatus.objects.get(child=child, kind=StatusKind.DIFFICULTY_POVERTY)
    assert poverty.ended_on == date(2028, 3, 1)


def test_a_status_cannot_start_past_its_age_limit(personas: Personas) -> None:
    child = LeftBehindChildFactory.create(village=personas.village_a, birth_date=date(2008, 6, 1))
    with pytest.raises(ValidationError):
        services.status_add(
            actor=personas.director_a,
            child=child,
            kind=StatusKind.UNSUPPORTED,
            started_on=date(2026, 11, 1),
        )
    status = services.status_add(
        actor=personas.director_a,
        child=child,
        kind=StatusKind.UNSUPPORTED,
        started_on=date(2025, 11, 1),
    )
    ended = services.status_end(
        actor=personas.director_a, status=status, reason=StatusEndReason.REASSESSED
    )
    assert ended.end_reason == StatusEndReason.REASSESSED


def test_update_rechecks_the_id_number_and_flags_new_duplicates(personas: Personas) -> None:
    child = personas.child_a
    with pytest.raises(ValidationError) as info:
        services.child_update(
            actor=personas.director_a, child=child, values={"birth_date": date(2015, 3, 15)}
        )
    assert "birth_date" in info.value.message_dict
    services.child_update(
        actor=personas.director_a,
        child=child,
        values={"school": "鹤溪小学"},
        guardian={"phone": "13700000000"},
    )
    child.refresh_from_db()
    assert child.school == "鹤溪小学"
    assert child.guardian.phone == "13700000000"
    event = AuditEvent.objects.filter(action="child_update").get()
    assert event.changes == ["guardian", "school"]


def test_a_child_who_left_can_no_longer_be_changed(personas: Personas) -> None:
    child = services.child_exit(
        actor=personas.director_a, child=personas.child_a, reason=ExitReason.MOVED_TO_PARENTS
    )
    with pytest.raises(ValidationError) as info:
        services.child_update(actor=personas.director_a, child=child, values={"school": "x"})
    assert info.value.code == "exited"
    child.refresh_from_db()
    assert child.school != "x"


def test_empty_parent_and_guardian_dates_are_cleared_not_broken(personas: Personas) -> None:
    data = registration(personas)
    data.parents["father"]["away_since"] = date(2020, 2, 1)
    data.guardian = {
        "name": "陈爷爷",
        "relationship": "grandfather",
        "suitability_checked_on": None,
    }
    child = services.child_register(actor=personas.director_a, data=data)
    services.child_update(
        actor=personas.director_a,
        child=child,
        values={},
        parents={"father": {"away_since": None, "work_place": None}},
        guardian={"parents_notified_village_on": None, "phone": None},
    )
    father = Parent.objects.get(child=child, role="father")
    assert (father.away_since, father.work_place) == (None, "")
    child.guardian.refresh_from_db()
    assert child.guardian.parents_notified_village_on is None
    assert child.guardian.phone == ""


def test_duplicates_are_flagged_once(personas: Personas) -> None:
    first = services.child_register(actor=personas.director_a, data=registration(personas))
    others = [
        services.child_register(
            actor=personas.director_a,
            data=registration(personas, id_number=idnumber.make("331127", BORN, 2 * n + 4)),
        )
        for n in range(3)
    ]
    last = others[-1]
    assert set(DuplicateFlag.objects.filter(child=last).values_list("other_id", flat=True)) == {
        first.pk,
        *(o.pk for o in others[:-1]),
    }
    before = DuplicateFlag.objects.count()
    services.child_update(actor=personas.director_a, child=last, values={"name": "陈小梅"})
    _flag_duplicates(last)
    assert DuplicateFlag.objects.count() == before
