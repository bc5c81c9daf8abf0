"""Which of a child's fields each role may see (DESIGN.md's table), in one place.

Pages, the API and exports all render a child through `child_view`, which leaves out every field
the viewer's role may not see. Nothing else decides field visibility.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.models import Role, User
from care365.registry import idnumber
from care365.registry.models import Child


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
    # Teachers and organisation staff never open a child's record (`children_for_user` is empty
    # for them); the network's pages show a teacher their school's roll (identity and
    # attendance) and organisation staff what a referral carries.
    Role.TEACHER: frozenset({FieldGroup.IDENTITY}),
    Role.ORG_STAFF: frozenset(),
}

# What each filter, search and sort of a list reads (DESIGN.md, "No oracles"): a role may use a
# parameter only if it sees one of the field groups listed, since a filter on a field one cannot
# see tells its value one child at a time. EVERYONE: a parameter that reads only what every
# role shown the row sees (a child's age, village and whether they are still in the registry),
# or nothing of a child at all (paging, a carer's own record, an alert's area). Pages, API and
# selectors all ask `param_allowed`/`params_refused`; the attack suite (tests/security/
# test_inference.py) fails on a list parameter of the API or a page that is not listed here.
EVERYONE: frozenset[FieldGroup] = frozenset()
PAGING = frozenset({"limit", "offset", "page", "last_event_id"})
LIST_PARAMS: dict[str, dict[str, frozenset[FieldGroup]]] = {
    "children": {
        "area": EVERYONE,  # the village, shown to every role
        "age_min": EVERYONE,
        "age_max": EVERYONE,
        "include_exited": EVERYONE,  # whether still in the registry, shown to every role
        "exited": EVERYONE,  # the page's name for include_exited
        "sex": frozenset({FieldGroup.IDENTITY}),
        "status": frozenset({FieldGroup.STATUS}),
        # A volunteer's name search matches the given name only (`name_matches`).
        "name": frozenset({FieldGroup.IDENTITY, FieldGroup.VOLUNTEER_CARD}),
        "id_number": frozenset({FieldGroup.ID_NUMBER}),
        # The list's order: by name only for roles that see the full name.
        "sort_name": frozenset({FieldGroup.IDENTITY}),
    },
    # A carer's own record (role, organisation's area, name), not a child's.
    "carers": {"role": EVERYONE, "area": EVERYONE, "q": EVERYONE},
    # An alert's area: its village and township are on every alert row its viewer sees.
    "alerts": {"area": EVERYONE},
    # The statistics (insights): an area of the user's own subtree and a period; no child's
    # field (small cells are "<5" where the children behind them are not the user's to see).
    "stats": {"area": EVERYONE, "period": EVERYONE},
    # The planned kind and due date: on every row of the due list.
    "due": {"kind": EVERYONE, "within_days": EVERYONE},
    # Registry staff only (who see every group); a score is on every row.
    "risk": {"include_below": EVERYONE},
    # County administrators only: a proposal's lines show their outcome and carer role.
    "pairing": {"outcome": EVERYONE, "role": EVERYONE},
    # County administrators only (who see every group): the log names each child, and a child
    # is picked by name (its search goes through the access layer) or, from a link, by number.
    "access_log": {
        "child": EVERYONE,
        "child_name": frozenset({FieldGroup.IDENTITY}),
        "username": EVERYONE,
        "purpose": EVERYONE,
        "outcome": EVERYONE,  # allowed or refused, on every row of the log
        "since": EVERYONE,
        "until": EVERYONE,
        "log": EVERYONE,
    },
    # Referrals (network): the state and due date are on every row its viewer sees.
    "referrals": {"overdue": EVERYONE},
    # Case conference actions (network): the state and due date are on every row its viewer
    # sees (their own actions, or a convener's area's).
    "conference_actions": {"overdue": EVERYONE},
    # A school's roll (network, pages): the day and the class are on every row its viewer sees.
    "school_roll": {"day": EVERYONE, "class": EVERYONE},
    # Drop-outs (network, pages; registry staff): open or every one, a state on every row.
    "drop_outs": {"all": EVERYONE},
    # Webhook deliveries (county administrators only): a delivery's state is on every row, and
    # a delivery carries nothing of a child.
    "webhook_deliveries": {"state": EVERYONE},
    # Health education sessions (care): the day a session was held is on every row its reader
    # sees (doctors and the registry's keepers only); the figures' period is no child's field.
    "health_sessions": {"since": EVERYONE, "until": EVERYONE},
    "health_session_figures": {"since": EVERYONE, "until": EVERYONE},
    # An event's gifts (care): a gift's state is on every row its viewer sees.
    "gifts": {"state": EVERYONE},
}


def param_allowed(user: User, list_name: str, param: str) -> bool:
    """Whether the user's role may filter, search or sort `list_name` by `param`. A parameter
    not in LIST_PARAMS is refused: a new one must be classified before anybody can use it."""
    if param in PAGING:
        return True
    needs = LIST_PARAMS.get(list_name, {}).get(param)
    if needs is None:
        return False
    return not needs or bool(needs & groups_for(user))


def params_refused(user: User, list_name: str, params: Iterable[str]) -> list[str]:
    return [p for p in params if not param_allowed(user, list_name, p)]


def param_refused_message() -> str:
    return _("Your role cannot filter, search or sort by this: it does not see this information.")


def refuse_params(user: User, list_name: str, params: Mapping[str, str] | Iterable[str]) -> None:
    """A ValidationError naming each parameter the role may not use (the API answers 422).
    `params`: the parameters' names, or a mapping from the name a request used to the
    LIST_PARAMS key it stands for (a search text `q` that is an ID number: "id_number")."""
    named = dict(params) if isinstance(params, Mapping) else {p: p for p in params}
    refused = [shown for shown, key in named.items() if not param_allowed(user, list_name, key)]
    if refused:
        raise ValidationError({p: [param_refused_message()] for p in refused}, code="refused")


def name_matches(user: User, full_name: str, text: str) -> bool:
    """Whether a name search for `text` matches this child for this viewer: the full name for
    roles that see it, the given name alone for a volunteer (who is never shown the surname)."""
    groups = groups_for(user)
    if FieldGroup.IDENTITY in groups:
        return text in full_name
    if FieldGroup.VOLUNTEER_CARD in groups:
        return text in given_name(full_name)
    return False


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


@dataclass(frozen=True)
class TeamMember:
    """One carer of a child's team as a list shows it: their role and name."""

    role: str
    name: str


def child_row(
    child: Child,
    user: User,
    *,
    today: date | None = None,
    team: Iterable[TeamMember] | None = None,
) -> dict[str, Any]:
    """One line of a children list: the least a list needs, within what the role may see.

    The kinds of the child's open statuses (read from the row's copy, Child.open_statuses) for
    the roles that see statuses. `team`, the child's carers now (pairing.selectors.teams_of,
    read once for a page), is shown to whoever sees the child, as the child's page shows it
    (DESIGN.md); a list that does not read it passes None and gets no team."""
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
    if FieldGroup.STATUS in groups:
        row["statuses"] = [kind.value for kind in child.open_status_kinds]
    if team is not None and groups:
        row["team"] = list(team)
    return row
