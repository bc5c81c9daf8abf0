"""Which of a child's fields each role may see (DESIGN.md's table), in one place.

Pages, the API and exports all render a child through `child_view`, which leaves out every field
the viewer's role may not see. Nothing else decides field visibility.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from django.utils import timezone

from care365.registry import idnumber
from care365.registry.models import Child

from .models import Role, User


class FieldGroup(StrEnum):
    IDENTITY = "identity"  # full name, sex, birth date, ethnicity, village
    ID_NUMBER = "id_number"  # masked unless revealed by a county admin with a reason
    ADDRESS = "address"  # address and hukou
    SCHOOLING = "schooling"  # school, grade, boarding
    HEALTH = "health"  # health and disability notes
    FAMILY = "family"  # parents, entrusted carer and their phones, income source
    STATUS = "status"  # left-behind / in difficulty / unsupported
    INTERESTS = "interests"  # interests and languages
    VOLUNTEER_CARD = "volunteer_card"  # given name, age, village, grade, interests only


ROLE_FIELDS: dict[str, frozenset[FieldGroup]] = {
    Role.COUNTY_ADMIN: frozenset(FieldGroup) - {FieldGroup.VOLUNTEER_CARD},
    Role.SUPERVISOR: frozenset(FieldGroup) - {FieldGroup.VOLUNTEER_CARD},
    Role.DIRECTOR: frozenset(FieldGroup) - {FieldGroup.VOLUNTEER_CARD},
    Role.POLICE: frozenset({FieldGroup.IDENTITY, FieldGroup.ADDRESS, FieldGroup.FAMILY}),
    Role.DOCTOR: frozenset({FieldGroup.IDENTITY, FieldGroup.HEALTH}),
    Role.VOLUNTEER: frozenset({FieldGroup.VOLUNTEER_CARD}),
}

# Two-character surnames; for every other name the surname is the first character.
_COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
    }
)


def given_name(full_name: str) -> str:
    """The given name (名) alone, which is all a volunteer sees."""
    name = full_name.strip()
    if len(name) > 2 and name[:2] in _COMPOUND_SURNAMES:
        return name[2:]
    return name[1:] if len(name) > 1 else name


def groups_for(user: User) -> frozenset[FieldGroup]:
    return ROLE_FIELDS.get(user.role, frozenset())


@dataclass
class ChildView:
    """A child as one viewer may see them: only the groups the role allows are filled in."""

    id: int
    groups: frozenset[FieldGroup]
    data: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def sees(self, group: str) -> bool:
        return FieldGroup(group) in self.groups


def child_view(
    child: Child, user: User, *, today: date | None = None, reveal_id: bool = False
) -> ChildView:
    """Render `child` for `user`. `reveal_id` is honoured only for county admins, and callers
    obtain the child with AccessPurpose.REVEAL_ID (which logs the reason) before passing it."""
    today = today or timezone.localdate()
    groups = groups_for(user)
    view = ChildView(id=child.pk, groups=groups)
    d = view.data
    village = child.village
    d["age"] = child.age_on(today)
    d["village"] = {"id": village.pk, "name": village.name, "code": village.code}
    d["active"] = child.is_active
    if FieldGroup.VOLUNTEER_CARD in groups:
        d["given_name"] = given_name(child.name)
        d["grade"] = child.grade
        d["interests"] = list(child.interests)
    if FieldGroup.IDENTITY in groups:
        d["name"] = child.name
        d["sex"] = child.sex
        d["birth_date"] = child.birth_date
        d["ethnicity"] = child.ethnicity
        township = village.parent
        d["township"] = (
            {"id": township.pk, "name": township.name, "code": township.code} if township else None
        )
        d["exited_on"] = child.exited_on
        d["exit_reason"] = child.exit_reason
    if FieldGroup.ID_NUMBER in groups:
        full = child.id_number
        show_full = reveal_id and user.role == Role.COUNTY_ADMIN
        d["id_number"] = full if show_full else idnumber.mask(full) if full else ""
    if FieldGroup.ADDRESS in groups:
        d["address"] = child.address
        d["hukou"] = child.hukou
    if FieldGroup.SCHOOLING in groups:
        d["school"] = child.school
        d["grade"] = child.grade
        d["boarding"] = child.boarding
    if FieldGroup.HEALTH in groups:
        d["health_notes"] = child.health_notes
        d["disability_notes"] = child.disability_notes
    if FieldGroup.INTERESTS in groups:
        d["interests"] = list(child.interests)
        d["languages"] = list(child.languages)
    if FieldGroup.STATUS in groups:
        d["statuses"] = [
            {
                "kind": s.kind,
                "started_on": s.started_on,
                "ended_on": s.ended_on,
                "end_reason": s.end_reason,
            }
            for s in child.statuses.all()
        ]
    if FieldGroup.FAMILY in groups:
        d["income_source"] = child.income_source
        d["parents"] = [
            {
                "role": p.role,
                "name": p.name,
                "situation": p.situation,
                "work_place": p.work_place,
                "away_since": p.away_since,
                "unable_reason": p.unable_reason,
                "phone": p.phone,
            }
            for p in child.parents.all()
        ]
        guardian = getattr(child, "guardian", None)
        d["guardian"] = (
            {
                "name": guardian.name,
                "relationship": guardian.relationship,
                "phone": guardian.phone,
                "suitability_checked_on": guardian.suitability_checked_on,
                "parents_notified_village_on": guardian.parents_notified_village_on,
            }
            if guardian
            else None
        )
    return view


def child_row(child: Child, user: User, *, today: date | None = None) -> dict[str, Any]:
    """One line of a children list: the least a list needs, within what the role may see."""
    today = today or timezone.localdate()
    groups = groups_for(user)
    row: dict[str, Any] = {
        "id": child.pk,
        "age": child.age_on(today),
        "village": {"id": child.village_id, "name": child.village.name},
        "active": child.is_active,
    }
    if FieldGroup.IDENTITY in groups:
        row["name"] = child.name
        row["sex"] = child.sex
    elif FieldGroup.VOLUNTEER_CARD in groups:
        row["name"] = given_name(child.name)
    return row
