"""Every API operation for every persona, about something in their scope and something outside it.

The operations come from the OpenAPI schema: an operation without an entry in `MATRIX` fails
`test_every_operation_has_a_matrix_entry`. Expected answers follow DESIGN.md's "Who sees what":
registry staff see their area's children, carers see none until pairing exists, an outsider sees
nothing, and out of scope looks exactly like missing (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from care365.accounts.models import User
from care365.accounts.tests.api_client import Api, operations
from care365.accounts.tests.factories import UserFactory
from care365.areas.models import Area
from care365.care.models import Wish
from care365.carers.models import Carer, CarerRole
from care365.carers.tests.factories import CarerFactory, OrganisationFactory
from care365.pairing import services as pairing_services
from care365.pairing.models import Pairing, PairingRun, PairRule
from care365.protection import services as protection_services
from care365.protection.models import Alert, WebhookEndpoint
from care365.registry.models import Child, Consent, ConsentPurpose
from care365.registry.tests.factories import valid_id_number
from conftest import Personas, shared_personas

# The personas are made once for the module (conftest.module_personas): every case only reads
# them or changes them inside its own transaction.
personas = pytest.fixture(shared_personas, name="personas")

pytestmark = pytest.mark.django_db

PERSONAS = (
    "admin",
    "supervisor_a",
    "director_a",
    "director_b",
    "other_admin",
    "officer",
    "doctor",
    "volunteer",
    "outsider",
)

# The child each persona's "own" column is about (in scope for registry staff; for carers and the
# outsider the child of the village they serve, still unseen before pairing) and the "other".
OWN_CHILD = {
    "admin": "child_a",
    "supervisor_a": "child_a",
    "director_a": "child_a",
    "director_b": "child_b",
    "other_admin": "child_other",
    "officer": "child_a",
    "doctor": "child_a",
    "volunteer": "child_a",
    "outsider": "child_a",
}
OTHER_CHILD = {
    "admin": "child_other",
    "supervisor_a": "child_b",
    "director_a": "child_b",
    "director_b": "child_a",
    "other_admin": "child_a",
    "officer": "child_b",
    "doctor": "child_b",
    "volunteer": "child_b",
    "outsider": "child_other",
}


# (own, other) status for each persona; registry staff register into their own child's village
# (201) and the other child's village (422: not a village they may register in).
# fmt: off
#                 get/update/exit  reveal-id   register    access log  carer get
STATUSES: dict[str, tuple[tuple[int, int], ...]] = {
    "admin":        ((200, 404), (200, 404), (201, 422), (200, 404), (200, 404)),
    "supervisor_a": ((200, 404), (403, 404), (201, 422), (403, 403), (200, 404)),
    "director_a":   ((200, 404), (403, 404), (201, 422), (403, 403), (200, 404)),
    "director_b":   ((200, 404), (403, 404), (201, 422), (403, 403), (200, 404)),
    "other_admin":  ((200, 404), (200, 404), (201, 422), (200, 404), (200, 404)),
    "officer":      ((404, 404), (404, 404), (403, 403), (403, 403), (200, 404)),
    "doctor":       ((404, 404), (404, 404), (403, 403), (403, 403), (200, 404)),
    "volunteer":    ((404, 404), (404, 404), (403, 403), (403, 403), (200, 404)),
    "outsider":     ((404, 404), (404, 404), (403, 403), (403, 403), (404, 404)),
}
# Whether the own / other target appears in a list (lists always answer 200).
#                 children (and areas)  carers
LISTED: dict[str, tuple[tuple[bool, bool], ...]] = {
    "admin":        ((True, False),  (True, False)),
    "supervisor_a": ((True, False),  (True, False)),
    "director_a":   ((True, False),  (True, False)),
    "director_b":   ((True, False),  (True, False)),
    "other_admin":  ((True, False),  (True, False)),
    "officer":      ((False, False), (True, False)),
    "doctor":       ((False, False), (True, False)),
    "volunteer":    ((False, False), (True, False)),
    "outsider":     ((False, False), (False, False)),
}
# fmt: on


def _column(table: dict[str, tuple[Any, ...]], index: int) -> dict[str, Any]:
    return {persona: row[index] for persona, row in table.items()}


SEE, REVEAL, REGISTER, LOG, CARER = (_column(STATUSES, i) for i in range(5))
OK = dict.fromkeys(PERSONAS, (200, 200))
ADMINS = ("admin", "other_admin")
REGISTRY = ("admin", "supervisor_a", "director_a", "director_b", "other_admin")


def _admins(ok: tuple[int, int]) -> dict[str, tuple[int, int]]:
    """Pairing belongs to county administrators: everyone else is refused outright."""
    return {p: ok if p in ADMINS else (403, 403) for p in PERSONAS}


# Break-the-glass: any child of one's own county opens (201); another county's is not found.
# Break-the-glass: responders only (a volunteer, like an outsider, is refused whatever the child).
GRANT = dict.fromkeys(PERSONAS, (201, 201)) | {
    "admin": (201, 422),
    "other_admin": (201, 422),
    "volunteer": (403, 403),
    "outsider": (403, 403),
}
# Recording a consent: registry staff in scope; nobody else can reach the child.
CONSENT_RECORD = {p: (201, 404) if p in REGISTRY else (404, 404) for p in PERSONAS}
CHILDREN_LISTED, CARERS_LISTED = _column(LISTED, 0), _column(LISTED, 1)
AREAS_LISTED = CHILDREN_LISTED  # the own child's village is in scope exactly when the child is

# Alerts: the target is an alert on the child raised by the county's administrator. For the
# carers' own column the carer is paired with the child first, so an officer is sent the alert
# (and sees and answers it); a doctor or volunteer may raise an alert for the child but sees
# only the alerts they raised (tested in test_protection.py), so not this one.
CARERS = ("officer", "doctor", "volunteer")
ALERT_RAISE = {p: (201, 404) if p in REGISTRY or p in CARERS else (404, 404) for p in PERSONAS}
ALERT_SEE = {p: (200, 404) if p in REGISTRY or p == "officer" else (404, 404) for p in PERSONAS}
ALERTS_LISTED = {p: (ok == (200, 404), False) for p, ok in ALERT_SEE.items()}
ALERT_OPS = {
    "alert_raise",
    "alert_list",
    "alert_get",
    "alert_acknowledge",
    "alert_on_the_way",
    "alert_with_child",
    "alert_resolve",
}
POLICY_BODY = {
    "steps": [
        {"who": "assigned_officer", "wait_seconds": 60, "channels": ["in_app", "sms"]},
        {"who": "county_duty_desk", "wait_seconds": 120, "channels": ["in_app", "email"]},
    ],
    "repeat_seconds": 300,
}

# Daily care. For the carers' own column the carer is paired with the child first (with the
# guardian's consents to a volunteer and to screening), so they reach it; registry staff reach
# their area's children. A county administrator logs no kind of contact (422); officers and
# volunteers are refused health and screening data outright (403) even for their own child.
CARE_SEE = {p: (200, 404) if p != "outsider" else (404, 404) for p in PERSONAS}
CONTACT_LOG = dict.fromkeys(PERSONAS, (201, 404)) | {
    "admin": (422, 404),
    "other_admin": (422, 404),
    "outsider": (404, 404),
}
HEALTH_SEE = CARE_SEE | {"officer": (403, 404), "volunteer": (403, 404)}
HEALTH_WRITE = dict.fromkeys(PERSONAS, (403, 404)) | {"outsider": (404, 404)}
# A wish is on its county's board: claimable by anyone working in the county, even for a child
# out of their own scope; delivered by its claimer or the child's volunteer or director; a
# delivered wish (off the board) is confirmed by someone who sees the child.
SAME_COUNTY = ("supervisor_a", "director_a", "director_b", "officer", "doctor", "volunteer")
WISH_CLAIM = {p: (200, 200) if p in SAME_COUNTY else (200, 404) for p in PERSONAS} | {
    "outsider": (404, 404)
}
WISH_DELIVER = {p: (200, 422) if p in SAME_COUNTY else (200, 404) for p in PERSONAS} | {
    "officer": (422, 422),
    "doctor": (422, 422),
    "outsider": (404, 404),
}
WISH_CONFIRM = dict.fromkeys(PERSONAS, (200, 404)) | {
    "officer": (422, 404),
    "doctor": (422, 404),
    "outsider": (404, 404),
}
CARE_OPS = {
    "contact_log",
    "contact_list",
    "examination_record",
    "examination_list",
    "screening_record",
    "screening_list",
    "wish_post",
    "wish_claim",
    "wish_deliver",
    "wish_confirm",
    "learning_get",
    "learning_goal_set",
    "learning_note_add",
    "interest_activity_record",
}
WISH_STATES = {"wish_claim": "open", "wish_deliver": "claimed", "wish_confirm": "delivered"}

MATRIX: dict[str, dict[str, tuple[int, int]]] = {
    "child_list": OK,
    # A search by name needs a role that is shown names: a user without a role is refused.
    "child_search": OK | {"outsider": (422, 422)},
    "child_get": SEE,
    "child_update": SEE,
    "child_exit": SEE,
    "child_reveal_id": REVEAL,
    # Registry staff (who see the masked number) check one in scope; other roles are refused.
    "child_confirm_id": {p: (200, 404) if p in REGISTRY else (403, 403) for p in PERSONAS},
    "child_register": REGISTER,
    "carer_list": OK,
    "carer_get": CARER,
    "area_list": OK,
    "access_log_list": LOG,
    "child_team": SEE,
    "consent_list": SEE,
    "consent_record": CONSENT_RECORD,
    "consent_withdraw": SEE,
    "pairing_propose": _admins((201, 201)),
    "pairing_proposal_get": _admins((200, 404)),
    "pairing_approve": _admins((200, 404)),
    "pair_rule_set": _admins((201, 404)),
    "pair_rule_remove": _admins((204, 404)),
    "access_grant_create": GRANT,
    "alert_raise": ALERT_RAISE,
    "alert_list": OK,
    "alert_get": ALERT_SEE,
    "alert_acknowledge": ALERT_SEE,
    "alert_on_the_way": ALERT_SEE,
    "alert_with_child": ALERT_SEE,
    "alert_resolve": ALERT_SEE,
    "event_stream": OK,
    "escalation_policy_get": _admins((200, 200)),
    "escalation_policy_update": _admins((200, 200)),
    "contact_log": CONTACT_LOG,
    "contact_list": CARE_SEE,
    "due_list": OK,
    "examination_record": HEALTH_WRITE | {"doctor": (201, 404)},
    "examination_list": HEALTH_SEE,
    "screening_record": HEALTH_WRITE | dict.fromkeys(REGISTRY, (422, 404)) | {"doctor": (201, 404)},
    "screening_list": HEALTH_SEE,
    "risk_list": {p: (200, 200) if p in REGISTRY else (403, 403) for p in PERSONAS},
    "wish_post": CARE_SEE
    | dict.fromkeys((*REGISTRY, "volunteer"), (201, 404))
    | {"officer": (422, 404), "doctor": (422, 404)},
    "wish_board": OK,
    "wish_claim": WISH_CLAIM,
    "wish_deliver": WISH_DELIVER,
    "wish_confirm": WISH_CONFIRM,
    # API tokens: one's own (the own column: the very token of the request) or a user's of
    # another county (the other column); county administrators manage their county's users.
    "auth_token_list": OK,
    "auth_token_revoke_current": dict.fromkeys(PERSONAS, (204, 204)),
    "auth_token_revoke": dict.fromkeys(PERSONAS, (204, 404)),
    "user_token_list": _admins((200, 404)),
    "user_tokens_revoke": _admins((204, 404)),
    # The county's own people (docs/county-admin.md): county administrators; a supervisor or a
    # director may propose a volunteer (test_county_api.py), not a police officer. A body naming
    # another county's organisation, area or village is refused beside the field (422); another
    # county's carer, organisation or user is not found (404).
    "carer_create": _admins((201, 422)),
    "carer_update": _admins((200, 404)),
    "carer_vet": _admins((200, 404)),
    "carer_deactivate": _admins((200, 404)),
    "organisation_list": _admins((200, 200)),
    "organisation_create": _admins((201, 422)),
    "organisation_update": _admins((200, 404)),
    # An organisation's webhook endpoints (docs/network.md): its county's administrators; another
    # county's organisation or endpoint is not found. The deliveries' list is the county's own.
    "webhook_endpoint_list": _admins((200, 404)),
    "webhook_endpoint_create": _admins((201, 404)),
    "webhook_endpoint_rotate": _admins((200, 404)),
    "webhook_endpoint_deactivate": _admins((200, 404)),
    "webhook_delivery_list": _admins((200, 200)),
    "user_list": _admins((200, 200)),
    "user_create": _admins((201, 422)),
    "user_update": _admins((200, 404)),
    # One's own account may not be deactivated (422).
    "user_deactivate": _admins((422, 404)),
    "pairing_assign": _admins((201, 404)),
}
# Health education (docs/care.md): doctors and the registry's keepers list and record sessions
# (a doctor for any township or village of their county, the others in their own area: the
# other child's village is not theirs, 422); county administrators and supervisors see the
# figures. Study help: the child's team reads (the carers paired in their own column), the
# volunteer and the keepers of the child's area write; the officer and the doctor are refused.
SESSION_PEOPLE = (*REGISTRY, "doctor")
MATRIX["health_session_list"] = {
    p: (200, 200) if p in SESSION_PEOPLE else (403, 403) for p in PERSONAS
}
MATRIX["health_session_record"] = {
    p: (201, 422) if p in REGISTRY else (403, 403) for p in PERSONAS
} | {"doctor": (201, 201)}
MATRIX["health_session_figures"] = {
    p: (200, 200) if p in ("admin", "other_admin", "supervisor_a") else (403, 403) for p in PERSONAS
}
MATRIX["learning_get"] = CARE_SEE
LEARNING_WRITE = CARE_SEE | {"officer": (403, 404), "doctor": (403, 404)}
MATRIX["learning_goal_set"] = {
    p: (201, 404) if ok == (200, 404) else ok for p, ok in LEARNING_WRITE.items()
}
MATRIX["learning_note_add"] = dict(MATRIX["learning_goal_set"])
MATRIX["interest_activity_record"] = dict(MATRIX["learning_goal_set"])
# Children's Day and festival gifts (docs/care.md): an event of the target child's village with
# a gift for the child (planned; delivered for a confirmation). The registry's keepers plan and
# mark gifts of their area's children; a volunteer paired with the child (own column) sees and
# marks its gift but plans none (403); officers, doctors and outsiders reach no gift (404) and
# plan none (403). A donor's totals and thanks are its county's administrators' (another
# county's donor: 404); everyone else is refused (403).
GIFT_OPS = ("gift_list", "gift_plan", "gift_deliver", "gift_confirm", "gift_not_delivered")
DONOR_OPS = ("donor_totals", "donor_thank")
GIFT_STATES = {"gift_confirm": "delivered"}
GIFT_SEE = {p: (200, 404) if p in (*REGISTRY, "volunteer") else (404, 404) for p in PERSONAS}
MATRIX.update(
    {
        "gift_list": GIFT_SEE,
        "gift_plan": {p: (201, 404) if p in REGISTRY else (403, 403) for p in PERSONAS},
        "gift_deliver": GIFT_SEE,
        "gift_confirm": GIFT_SEE,
        "gift_not_delivered": GIFT_SEE,
        "donor_totals": _admins((200, 404)),
        "donor_thank": _admins((200, 404)),
    }
)
TOKEN_OPS = {
    "auth_token_revoke",
    "user_token_list",
    "user_tokens_revoke",
    "user_update",
    "user_deactivate",
}
# The statistics of an area: registry staff reach their own child's village and no other (404,
# as a missing area); carers and users without a role have no area's figures at all (403).
STATS = {p: (200, 404) if p in REGISTRY else (403, 403) for p in PERSONAS}
REFERRAL_STEPS = ("referral_accept", "referral_decline", "referral_done")
# Mandatory reports: the county's administrators, supervisors and directors of their villages
# and the covering station's officers (village A is the officer's station's); the report is
# about the target child's village.
READS_REPORTS = (*REGISTRY, "officer")
MATRIX["mandatory_report_list"] = {
    p: (200, 200) if p in READS_REPORTS else (403, 403) for p in PERSONAS
}
MATRIX["mandatory_report_get"] = {
    p: (200, 404) if p in READS_REPORTS else (404, 404) for p in PERSONAS
}
# Referrals (docs/network.md): those who refer (registry staff; carers paired with the child in
# their own column) refer a child they see; the county's administrators record the answer, which
# others who see the referral may not (403); a volunteer sees only the referrals they made.
REFERS = (*REGISTRY, *CARERS)
MATRIX["referral_list"] = {p: (200, 200) if p in REFERS else (403, 403) for p in PERSONAS}
MATRIX["referral_create"] = {p: (201, 404) if p in REFERS else (404, 404) for p in PERSONAS}
REFERRAL_ANSWER = {
    p: (200, 404) if p in ADMINS else (403, 404) if p in REFERS else (404, 404) for p in PERSONAS
} | {"volunteer": (404, 404)}
REFERRAL_OPS = ("referral_list", "referral_create", *REFERRAL_STEPS)
MATRIX.update(dict.fromkeys(REFERRAL_STEPS, REFERRAL_ANSWER))
# An organisation's staff (docs/network.md): the referrals to their own organisation (own
# column: to the personas' agency; other column: to another agency of the county, 404); anyone
# else is refused before a referral is looked up (403).
STAFF_REFERRAL_OPS = (
    "staff_referral_get",
    "staff_referral_accept",
    "staff_referral_decline",
    "staff_referral_done",
)
MATRIX["staff_referral_list"] = {
    p: (200, 200) if p == "org_staff" else (403, 403) for p in PERSONAS
}
for _op in STAFF_REFERRAL_OPS:
    MATRIX[_op] = {p: (200, 404) if p == "org_staff" else (403, 403) for p in PERSONAS}
# Case conferences (docs/network.md): the county's administrators and the township supervisor
# convene and run them for a child of their area (a director or a paired carer sees the child
# but convenes none: 403); the paired officer and doctor see the conference of their child
# (their own column) but do not run it (403); a volunteer sees one only through an action they
# own (404 here); an action is marked done by its owner (a user of no role here) or a convener.
CONVENERS = ("admin", "supervisor_a", "other_admin")
TEAM = ("officer", "doctor")
MATRIX["conference_list"] = {p: (200, 200) if p in CONVENERS else (403, 403) for p in PERSONAS}
MATRIX["conference_action_list"] = {p: (200, 200) if p in REFERS else (403, 403) for p in PERSONAS}
MATRIX["conference_create"] = {
    p: (201, 404) if p in CONVENERS else (403, 404) if p in REFERS else (404, 404) for p in PERSONAS
}
MATRIX["conference_get"] = {
    p: (200, 404) if p in (*REGISTRY, *TEAM) else (404, 404) for p in PERSONAS
}
MATRIX["conference_action_add"] = {
    p: (201, 404) if p in CONVENERS else (403, 404) if p in (*REGISTRY, *TEAM) else (404, 404)
    for p in PERSONAS
}
MATRIX["conference_attendee_add"] = dict(MATRIX["conference_action_add"])
MATRIX["conference_hold"] = {
    p: (200, 404) if p in CONVENERS else (403, 404) if p in (*REGISTRY, *TEAM) else (404, 404)
    for p in PERSONAS
}
# Closing a planned conference: 409 (it was not held).
MATRIX["conference_close"] = {
    p: (409, 404) if p in CONVENERS else (403, 404) if p in (*REGISTRY, *TEAM) else (404, 404)
    for p in PERSONAS
}
MATRIX["conference_action_done"] = {
    p: (200, 404) if p in CONVENERS else (404, 404) for p in PERSONAS
}
# Changing a conference or taking back an attendee: as recording it held; changing an action:
# as marking it done, but only for those who run the conference.
MATRIX["conference_update"] = dict(MATRIX["conference_hold"])
MATRIX["conference_attendee_remove"] = {
    p: (204, 404) if p in CONVENERS else (403, 404) if p in (*REGISTRY, *TEAM) else (404, 404)
    for p in PERSONAS
}
MATRIX["conference_action_update"] = dict(MATRIX["conference_action_done"])
CONFERENCE_OPS = (
    "conference_list",
    "conference_action_list",
    "conference_create",
    "conference_get",
    "conference_action_add",
    "conference_action_done",
    "conference_attendee_add",
    "conference_hold",
    "conference_close",
    "conference_update",
    "conference_attendee_remove",
    "conference_action_update",
)
# Schools and attendance (docs/network.md): the target child is enrolled at a school of its
# township. The registry's keepers read the schools of their county and the children of their
# area, enrol them and follow drop-outs; a teacher reads their school's roll and its children
# (their own column's child is enrolled at their school; the other's at another: 404) and
# records absences and drop-outs; every other role has no schools pages (403), and a record
# (an enrolment, a drop-out) it may not keep is not found (404).
TEACHERS = ("teacher",)
SCHOOL_READERS = (*REGISTRY, *TEACHERS)
_OTHER_COUNTY = ("admin", "other_admin")  # whose "other" child is of another county


def _schools(own: int, other: int, readers: tuple[str, ...], refused: int) -> dict[str, Any]:
    return {p: (own, other) if p in readers else (refused, refused) for p in (*PERSONAS, *TEACHERS)}


MATRIX["school_list"] = _schools(200, 200, SCHOOL_READERS, 403)
MATRIX["school_roll_get"] = _schools(200, 200, SCHOOL_READERS, 403) | dict.fromkeys(
    (*_OTHER_COUNTY, *TEACHERS), (200, 404)
)
MATRIX["school_child_attendance"] = _schools(200, 404, SCHOOL_READERS, 403)
MATRIX["school_absences_record"] = _schools(201, 404, SCHOOL_READERS, 403)
MATRIX["drop_out_record"] = _schools(201, 404, SCHOOL_READERS, 403)
MATRIX["enrolment_create"] = _schools(201, 404, REGISTRY, 404)
MATRIX["enrolment_end"] = _schools(200, 404, REGISTRY, 404)
MATRIX["drop_out_list"] = _schools(200, 200, REGISTRY, 403)
MATRIX["drop_out_get"] = _schools(200, 404, REGISTRY, 404)
MATRIX["drop_out_close"] = _schools(200, 404, REGISTRY, 404)
SCHOOL_OPS = (
    "school_list",
    "school_roll_get",
    "school_child_attendance",
    "school_absences_record",
    "drop_out_record",
    "enrolment_create",
    "enrolment_end",
    "drop_out_list",
    "drop_out_get",
    "drop_out_close",
)
OWN_CHILD.setdefault("teacher", "child_a")
OTHER_CHILD.setdefault("teacher", "child_b")
STATS_OPS = ("stats_overview", "stats_children", "stats_pairing", "stats_care", "stats_alerts")
MATRIX.update(dict.fromkeys(STATS_OPS, STATS))
LISTS = {
    "child_list": CHILDREN_LISTED,
    "child_search": CHILDREN_LISTED,
    "carer_list": CARERS_LISTED,
    "area_list": AREAS_LISTED,
    "alert_list": ALERTS_LISTED,
}

# Province and prefecture officials: both children of their column lie in their province and
# prefecture (景宁 and 庆元 are both in 丽水市, 浙江省), and they reach neither, nor any other
# record: they answer as a user without a role does (figures only, DESIGN.md), but for the few
# differences below, which are about the officials themselves, not a child.
FIGURES = ("province_official", "prefecture_official")
# Figures are theirs: the statistics of every area in their prefecture or province, which holds
# both children's villages (an area outside it: care365/insights/tests/test_officials.py).
FIGURES_DIFFER: dict[str, tuple[int, int]] = dict.fromkeys(STATS_OPS, (200, 200))
for _op, _table in MATRIX.items():
    for _who in FIGURES:
        _table[_who] = FIGURES_DIFFER.get(_op, _table["outsider"])
for _lists in LISTS.values():
    for _who in FIGURES:
        _lists[_who] = (False, False)
PERSONAS = (*PERSONAS, *FIGURES)
OWN_CHILD |= dict.fromkeys(FIGURES, "child_a")
OTHER_CHILD |= dict.fromkeys(FIGURES, "child_other")

# Teachers and organisation staff (the county's network): they never open a child's record, so
# on every operation they answer as a user without a role does, but for the network's own
# operations for them: those whose tables above name them, and those listed here per persona.
NETWORK = ("teacher", "org_staff")
NETWORK_DIFFER: dict[str, dict[str, tuple[int, int]]] = {
    # A teacher is shown names (of their school's roll), so may search the children's list by
    # name; it finds nobody there (their children are the network's roll, not this list).
    "child_search": {"teacher": (200, 200)},
    # An organisation's staff: the referrals to their own organisation (above).
    "staff_referral_list": {"org_staff": (200, 200)},
    **{op: {"org_staff": (200, 404)} for op in STAFF_REFERRAL_OPS},
}
for _op, _table in MATRIX.items():
    for _who in NETWORK:
        if _who in NETWORK_DIFFER.get(_op, {}):
            _table[_who] = NETWORK_DIFFER[_op][_who]
        elif _who not in _table:  # an operation whose table does not speak for them
            _table[_who] = _table["outsider"]
for _lists in LISTS.values():
    for _who in NETWORK:
        _lists[_who] = _lists["outsider"]
PERSONAS = (*PERSONAS, *NETWORK)
OWN_CHILD |= dict.fromkeys(NETWORK, "child_a")
OTHER_CHILD |= dict.fromkeys(NETWORK, "child_other")
# The operations without a token, each tested on its own: test_auth.py, and test_protection.py
# for the SMS gateway's signed webhook and the health check.
PUBLIC = {"auth_token_create", "sms_inbound", "health_check"}


@dataclass
class Targets:
    child: Child
    carer: Carer
    village: Area
    run: PairingRun | None = None
    rule: PairRule | None = None
    alert: Alert | None = None
    wish: Wish | None = None
    token_id: int = 0
    user_id: int = 0
    report_id: int = 0
    referral_id: int = 0
    agency: int = 0
    conference_id: int = 0
    action_id: int = 0
    attendee_id: int = 0
    owner_id: int = 0
    school_id: int = 0
    school_for: int = 0  # a school of the child's county, to enrol the child at
    enrolment_id: int = 0
    drop_out_id: int = 0
    goal_id: int = 0
    event_id: int = 0
    gift_id: int = 0
    donor_id: int = 0


def _school_targets(op: str, target: Targets, p: Personas) -> None:
    """The child enrolled at a school of its township (child A: the teacher's school); a
    drop-out of the child (open) for the drop-out operations."""
    if op not in SCHOOL_OPS:
        return
    from care365.network.models import DropOut, Enrolment

    child = target.child
    if child.village.parent_id == p.school_a.area_id:
        school = p.school_a
    else:
        school = OrganisationFactory.create(kind="school", area=child.village.parent)
    nobody = UserFactory.create(role="")
    enrolment = Enrolment.objects.create(
        child=child,
        school=school,
        grade="p3",
        since=date(2025, 9, 1),
        created_by=nobody,
        created_at=timezone.now(),
    )
    target.school_id = school.pk
    target.school_for = OrganisationFactory.create(kind="school", area=child.village.parent).pk
    target.enrolment_id = enrolment.pk
    if op in ("drop_out_get", "drop_out_close"):
        target.drop_out_id = DropOut.objects.create(
            child=child,
            school=school,
            left_on=timezone.localdate(),
            recorded_by=nobody,
            created_at=timezone.now(),
        ).pk


def _conference_targets(op: str, target: Targets, p: Personas, persona: str, column: int) -> None:
    """A carer's own child paired with them; a planned conference of the child convened by a
    user of no role, with an open action owned by another such user; a director of the child's
    village to own a new action."""
    if op not in CONFERENCE_OPS:
        return
    from care365.network.models import CaseConference, ConferenceAction, ConferenceAttendee

    user: User = getattr(p, persona)
    if column == 0 and persona in CARERS:
        assert user.carer is not None
        Pairing.objects.create(
            child=target.child, role=user.carer.role, carer=user.carer, since=date(2026, 1, 1)
        )
        if persona == "volunteer":
            Consent.objects.get_or_create(
                child=target.child,
                purpose=ConsentPurpose.VOLUNTEER,
                withdrawn_on=None,
                defaults={"given_on": date(2025, 1, 1)},
            )
    nobody = UserFactory.create(role="")
    conference = CaseConference.objects.create(
        child=target.child,
        held_on=timezone.localdate(),
        reason="多次夜不归宿",
        convened_by=nobody,
        created_at=timezone.now(),
    )
    target.conference_id = conference.pk
    target.action_id = ConferenceAction.objects.create(
        conference=conference,
        what="每周家访",
        owner=nobody,
        due_on=timezone.localdate(),
        created_at=timezone.now(),
        created_by=nobody,
    ).pk
    target.owner_id = UserFactory.create(role="director", area=target.village).pk
    target.attendee_id = ConferenceAttendee.objects.create(
        conference=conference, name="王校长", role="学校"
    ).pk


def _referral_targets(op: str, target: Targets, p: Personas, persona: str, column: int) -> None:
    """An agency of the child's county offering counselling; a carer's own child paired with
    them; for a step, a referral of the child sent by a user of no role."""
    if op not in REFERRAL_OPS:
        return
    from care365.network.models import Referral

    agency = OrganisationFactory.create(
        kind="social_work", area=target.village.parent, services=["counselling"]
    )
    target.agency = agency.pk
    user: User = getattr(p, persona)
    if column == 0 and persona in CARERS:
        assert user.carer is not None
        Pairing.objects.create(
            child=target.child, role=user.carer.role, carer=user.carer, since=date(2026, 1, 1)
        )
        if persona == "volunteer":
            Consent.objects.get_or_create(
                child=target.child,
                purpose=ConsentPurpose.VOLUNTEER,
                withdrawn_on=None,
                defaults={"given_on": date(2025, 1, 1)},
            )
    if op in REFERRAL_STEPS:
        target.referral_id = Referral.objects.create(
            child=target.child,
            village_id=target.child.village_id,
            organisation=agency,
            service="counselling",
            reason="需要心理辅导",
            referred_by=UserFactory.create(role=""),
            created_at=timezone.now(),
            due_on=timezone.localdate(),
        ).pk


def _staff_referral_targets(op: str, target: Targets, p: Personas, column: int) -> None:
    """A referral of the child, sent by a user of no role: to the personas' agency (the own
    column), or to another agency of the child's county."""
    if op not in STAFF_REFERRAL_OPS:
        return
    from care365.network.models import Referral

    agency = (
        p.agency
        if column == 0
        else OrganisationFactory.create(kind="charity", area=target.village.parent)
    )
    target.referral_id = Referral.objects.create(
        child=target.child,
        village_id=target.child.village_id,
        organisation=agency,
        service="counselling",
        reason="需要心理辅导",
        referred_by=UserFactory.create(role=""),
        created_at=timezone.now(),
        due_on=timezone.localdate(),
    ).pk


def _pairing_targets(op: str, target: Targets) -> None:
    """A proposal of the child's county, a rule on the child, or a consent to withdraw."""
    if op in ("pairing_proposal_get", "pairing_approve"):
        county = target.child.village.parent.parent  # type: ignore[union-attr]
        target.run = pairing_services.pairing_propose(actor=None, county=county)  # type: ignore[arg-type]
    elif op == "pair_rule_remove":
        near = CarerFactory.create(organisation__area=target.child.village.parent)
        target.rule = PairRule.objects.create(
            child=target.child,
            role=near.role,
            carer=near,
            kind="forbid",
            created_by=UserFactory.create(role=""),
        )
    elif op == "consent_withdraw":
        Consent.objects.create(
            child=target.child, purpose=ConsentPurpose.HEALTH_SCREENING, given_on=date(2025, 1, 1)
        )


def _alert_targets(op: str, target: Targets, p: Personas, persona: str, column: int) -> None:
    """For the alert operations: the carer's own child paired with them, then (but for raising
    one) an alert on the target child raised by its family's help link."""
    if op not in ALERT_OPS:
        return
    user: User = getattr(p, persona)
    if column == 0 and persona in CARERS:
        assert user.carer is not None
        Pairing.objects.create(
            child=target.child, role=user.carer.role, carer=user.carer, since=date(2026, 1, 1)
        )
        if persona == "volunteer":
            Consent.objects.create(
                child=target.child, purpose=ConsentPurpose.VOLUNTEER, given_on=date(2025, 1, 1)
            )
    if op != "alert_raise":
        # Raised by the family's help link (issued by the child's county administrator): the
        # personas answer an alert none of them raised (a raiser does not answer their own).
        admin = p.other_admin if target.child.pk == p.child_other.pk else p.admin
        _link, token = protection_services.help_link_issue(actor=admin, child=target.child)
        target.alert = protection_services.alert_raise_from_help_link(token=token)


_REPORTS = iter(range(1, 1_000_000))


def _report_targets(op: str, target: Targets) -> None:
    """A public mandatory report about the target child's village (its own address and phone:
    the page's rate limit)."""
    if op != "mandatory_report_get":
        return
    from care365.network.services import mandatory_report_submit

    n = next(_REPORTS)
    target.report_id = mandatory_report_submit(
        village_id=target.village.pk,
        reporter_name="陈老师",
        reporter_phone=f"139{n:08d}",
        reporter_role="teacher",
        child_name="王小明",
        situation="abandoned",
        what_seen="孩子一个人在家好几天了",
        client_ip=f"10.8.{n // 250}.{n % 250}",
    ).pk


def _token_targets(
    op: str, target: Targets, p: Personas, persona: str, column: int, api: Api
) -> None:
    """A token (or a user) of the persona themself, or of another county's administrator."""
    if op not in TOKEN_OPS:
        return
    me: User = getattr(p, persona)
    owner = me if column == 0 else p.admin if persona == "other_admin" else p.other_admin
    api.token(owner)  # the token the owner calls with: the latest of theirs
    target.token_id = owner.api_tokens.latest("pk").pk
    target.user_id = owner.pk


def _care_targets(op: str, target: Targets, p: Personas, persona: str, column: int) -> None:
    """For daily care: the carer's own child paired with them and the guardian's consents; for
    a step on a wish, a wish of the target child in the state the step starts from, claimed (if
    it is) by somebody else."""
    if op not in CARE_OPS:
        return
    child = target.child
    consents = [ConsentPurpose.VOLUNTEER, ConsentPurpose.HEALTH_SCREENING]
    if column == 0 or op in WISH_STATES:
        for purpose in consents:
            Consent.objects.get_or_create(
                child=child,
                purpose=purpose,
                withdrawn_on=None,
                defaults={"given_on": date(2025, 1, 1)},
            )
    user: User = getattr(p, persona)
    if column == 0 and persona in CARERS:
        assert user.carer is not None
        Pairing.objects.create(
            child=child, role=user.carer.role, carer=user.carer, since=date(2026, 1, 1)
        )
    if op == "learning_note_add":
        from care365.care.models import LearningGoal

        target.goal_id = LearningGoal.objects.create(
            child=child,
            subject="maths",
            goal="背熟乘法口诀",
            started_on=date(2026, 1, 1),
            set_by=UserFactory.create(role=""),
        ).pk
    if op in WISH_STATES:
        someone = UserFactory.create(role="")
        now = timezone.now()
        state = WISH_STATES[op]
        target.wish = Wish.objects.create(
            child=child,
            what="一双运动鞋",
            cost_yuan=120,
            posted_by=someone,
            posted_at=now,
            state=state,
            claimed_by=None if state == "open" else someone,
            claimed_at=None if state == "open" else now,
            delivered_at=now if state == "delivered" else None,
        )


def _gift_targets(op: str, target: Targets, p: Personas, persona: str, column: int) -> None:
    """For gifts: a Children's Day of the target child's village with a gift for the child
    (from a donating company of the child's county), recorded by a user of no role; the
    volunteer's own child paired with them, with the guardian's consent."""
    if op not in (*GIFT_OPS, *DONOR_OPS):
        return
    from care365.care.models import CareEvent, Gift

    user: User = getattr(p, persona)
    if column == 0 and persona in CARERS:
        assert user.carer is not None
        Pairing.objects.create(
            child=target.child, role=user.carer.role, carer=user.carer, since=date(2026, 1, 1)
        )
        Consent.objects.get_or_create(
            child=target.child,
            purpose=ConsentPurpose.VOLUNTEER,
            withdrawn_on=None,
            defaults={"given_on": date(2025, 1, 1)},
        )
    nobody = UserFactory.create(role="")
    county = target.village.parent.parent  # type: ignore[union-attr]
    donor = OrganisationFactory.create(
        kind="company", area=county, contact_email="csr@tea.example.cn"
    )
    event = CareEvent.objects.create(
        kind="childrens_day",
        title="六一儿童节",
        held_on=timezone.localdate(),
        area=target.village,
        recorded_by=nobody,
    )
    now = timezone.now()
    delivered = GIFT_STATES.get(op) == "delivered"
    gift = Gift.objects.create(
        event=event,
        child=target.child,
        what="书包",
        value_yuan=100,
        donor=donor,
        planned_by=nobody,
        planned_at=now,
        state="delivered" if delivered else "planned",
        delivered_by=nobody if delivered else None,
        delivered_at=now if delivered else None,
    )
    target.event_id, target.gift_id, target.donor_id = event.pk, gift.pk, donor.pk


def _carers(p: Personas) -> tuple[dict[str, Carer], dict[str, Carer]]:
    """Each persona's own and other carer: registry staff see their county's carers, a carer
    sees only their own record."""
    far = CarerFactory.create(role=CarerRole.DOCTOR, organisation__area=p.other_village.parent)
    mine = {"police": p.officer.carer, "doctor": p.doctor.carer, "volunteer": p.volunteer.carer}
    own: dict[str, Carer] = {}
    other: dict[str, Carer] = {}
    for name in PERSONAS:
        user: User = getattr(p, name)
        if user.carer is not None:
            own[name] = user.carer
            other[name] = mine["doctor" if user.role != CarerRole.DOCTOR else "police"]  # type: ignore[assignment]
        elif name == "other_admin":
            own[name], other[name] = far, mine["police"]  # type: ignore[assignment]
        else:
            own[name], other[name] = mine["police"], far  # type: ignore[assignment]
    return own, other


def _register_body(village: Area) -> dict[str, Any]:
    born = date(2016, 5, 20)
    return {
        "name": "陈小雨",
        "sex": "F",
        "birth_date": born.isoformat(),
        "id_number": valid_id_number(born, "F", 777),
        "village": village.pk,
        "statuses": ["left_behind"],
    }


def _request(
    op: str, path: str, target: Targets
) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None]:
    """(path, body, query) for one operation about one target."""
    path = path.replace("{child_id}", str(target.child.pk))
    path = path.replace("{carer_id}", str(target.carer.pk))
    path = path.replace("{run_id}", str(target.run.pk if target.run else 1))
    path = path.replace("{rule_id}", str(target.rule.pk if target.rule else 1))
    path = path.replace("{alert_id}", str(target.alert.pk if target.alert else 1))
    path = path.replace("{wish_id}", str(target.wish.pk if target.wish else 1))
    path = path.replace("{token_id}", str(target.token_id or 1))
    path = path.replace("{user_id}", str(target.user_id or 1))
    path = path.replace("{report_id}", str(target.report_id or 1))
    path = path.replace("{referral_id}", str(target.referral_id or 1))
    path = path.replace("{conference_id}", str(target.conference_id or 1))
    path = path.replace("{action_id}", str(target.action_id or 1))
    path = path.replace("{event_id}", str(target.event_id or 1))
    path = path.replace("{gift_id}", str(target.gift_id or 1))
    if target.donor_id:
        path = path.replace("{organisation_id}", str(target.donor_id))
    path = path.replace("{attendee_id}", str(target.attendee_id or 1))
    path = path.replace("{organisation_id}", str(target.carer.organisation_id))
    path = path.replace("{school_id}", str(target.school_id or 1))
    path = path.replace("{enrolment_id}", str(target.enrolment_id or 1))
    path = path.replace("{drop_out_id}", str(target.drop_out_id or 1))
    if "{endpoint_id}" in path:
        endpoint = WebhookEndpoint.objects.create(
            organisation_id=target.carer.organisation_id,
            url="https://sunshine.example/hook",
            secret="whsec_test",  # a test's secret
            created_at=timezone.now(),
        )
        path = path.replace("{endpoint_id}", str(endpoint.pk))
    body: dict[str, Any] | None = {
        "child_update": {"school": "城关小学"},
        "child_exit": {"reason": "moved_away"},
        "child_reveal_id": {"reason": "核对户籍信息以办理低保"},
        "child_confirm_id": {
            "id_number": target.child.id_number,
            "reason": "核对监护人提供的户口簿",
        },
        "child_register": _register_body(target.village),
        "child_search": {"q": target.child.name, "include_exited": True, "limit": 100},
        "consent_record": {"purpose": "health_screening", "reference": "JN-1"},
        "consent_withdraw": {"purpose": "health_screening"},
        "access_grant_create": {
            "id_number": target.child.id_number,
            "reason": "代同事值班处理紧急情况",
        },
        "carer_create": {
            "role": "police",
            "name": "王警官",
            "sex": "M",
            "phone": "13700001111",
            "organisation": OrganisationFactory.create(area=target.village.parent).pk,
            "capacity": 10,
        },
        "carer_update": {"capacity": 12, "phone": "0578-5081234"},
        "carer_vet": {
            "background_check": "passed",
            "background_checked_on": "2025-06-01",
            "trained_on": "2025-06-20",
        },
        "organisation_create": {
            "kind": "station",
            "name": "东坑派出所",
            "area": target.village.parent_id,
            "phone": "0578-5081110",
        },
        "organisation_update": {"name": "东坑镇派出所"},
        "webhook_endpoint_create": {"url": "https://sunshine.example/care365"},
        "referral_create": {
            "child": target.child.pk,
            "organisation": target.agency or 1,
            "service": "counselling",
            "reason": "父母外出后情绪低落",
        },
        "referral_decline": {"reason": "名额已满"},
        "conference_create": {
            "child": target.child.pk,
            "held_on": timezone.localdate().isoformat(),
            "reason": "多次夜不归宿，监护人管不住",
        },
        "conference_action_add": {
            "what": "每周家访一次",
            "owner": target.owner_id or 1,
            "due_on": timezone.localdate().isoformat(),
        },
        "conference_action_done": {"note": "已家访"},
        "conference_attendee_add": {"name": "王校长", "role": "学校"},
        "conference_hold": {"decisions": "派出所每周家访"},
        "conference_close": {},
        "conference_update": {"place": "镇政府会议室"},
        "conference_action_update": {"what": "每两周家访一次"},
        "referral_done": {"what_done": "心理辅导六次", "outcome": "情绪好转"},
        "staff_referral_decline": {"reason": "名额已满"},
        "staff_referral_done": {"what_done": "心理辅导六次", "outcome": "情绪好转"},
        "user_create": {"username": "lixiaomei", "role": "director", "area": target.village.pk},
        "user_update": {"first_name": "小梅"},
        "pairing_assign": {"child": target.child.pk, "carer": target.carer.pk},
        "pair_rule_set": {
            "child": target.child.pk,
            "carer": CarerFactory.create(organisation__area=target.child.village.parent).pk,
            "kind": "lock",
        },
        "alert_raise": {"child": target.child.pk, "kind": "danger", "note": "在河边"},
        "alert_acknowledge": {},
        "alert_on_the_way": {"note": "十分钟到"},
        "alert_with_child": {},
        "alert_resolve": {"resolution": "safe", "note": "已安全"},
        "escalation_policy_update": POLICY_BODY,
        "contact_log": {"kind": "parent_contact", "duration_minutes": 15, "channel": "video"},
        "examination_record": {
            "examined_on": timezone.localdate().isoformat(),
            "height_cm": 140.2,
            "weight_kg": 33.1,
        },
        "screening_record": {"instrument": "ces-dc", "answers": [0] * 20},
        "wish_post": {"what": "一本新华字典", "cost_yuan": 30},
        "wish_claim": {},
        "wish_confirm": {"note": "孩子很喜欢"},
        "school_absences_record": {
            "days": [timezone.localdate().isoformat()],
            "reason": "illness",
        },
        "enrolment_create": {
            "child": target.child.pk,
            "school": target.school_for or 1,
            "grade": "p4",
        },
        "enrolment_end": {"until": timezone.localdate().isoformat(), "reason": "moved"},
        "drop_out_record": {"child": target.child.pk, "left_on": timezone.localdate().isoformat()},
        "drop_out_close": {"outcome": "随父母迁往外地就读"},
        "health_session_record": {
            "topic": "drowning",
            "held_on": timezone.localdate().isoformat(),
            "area": target.village.pk,
            "other_attendees": 20,
        },
        "learning_goal_set": {"subject": "maths", "goal": "背熟乘法口诀"},
        "learning_note_add": {"goal": target.goal_id or 1, "note": "背到七了"},
        "interest_activity_record": {"interest": "music", "what": "学唱山歌"},
        "gift_plan": {"what": "绘本", "value_yuan": 60, "child_ids": [target.child.pk]},
        "gift_confirm": {"note": "孩子很喜欢"},
        "gift_not_delivered": {"reason": "孩子随父母去了外地"},
    }.get(op)
    queries: dict[str, dict[str, Any]] = {
        "child_list": {"limit": 100, "include_exited": "true"},
        "carer_list": {"limit": 100},
        "access_log_list": {"child": target.child.pk},
        "alert_list": {"limit": 100},
        "organisation_list": {"limit": 100},
        "user_list": {"limit": 100},
        "mandatory_report_list": {"limit": 100},
        "referral_list": {"limit": 100},
        "staff_referral_list": {"limit": 100},
        "conference_list": {"limit": 100},
        "conference_action_list": {"limit": 100},
        "health_session_list": {"limit": 100},
        **{op: {"area": target.village.pk, "period": "2026-05"} for op in STATS_OPS},
    }
    query = queries.get(op)
    return path, body, query


def test_every_operation_has_a_matrix_entry(openapi: dict[str, Any]) -> None:
    assert set(operations(openapi)) - PUBLIC == set(MATRIX)


CASES = [(op, persona, column) for op in MATRIX for persona in PERSONAS for column in (0, 1)]


@pytest.mark.parametrize(
    ("op", "persona", "column"),
    CASES,
    ids=[f"{op}-{persona}-{'own' if col == 0 else 'other'}" for op, persona, col in CASES],
)
def test_operation_answers_each_persona(
    api: Api,
    personas: Personas,
    openapi: dict[str, Any],
    op: str,
    persona: str,
    column: int,
) -> None:
    method, path = operations(openapi)[op]
    user: User = getattr(personas, persona)
    child: Child = getattr(personas, (OWN_CHILD if column == 0 else OTHER_CHILD)[persona])
    own_carers, other_carers = _carers(personas)
    carer = (own_carers if column == 0 else other_carers)[persona]
    target = Targets(child=child, carer=carer, village=child.village)
    _pairing_targets(op, target)
    _alert_targets(op, target, personas, persona, column)
    _care_targets(op, target, personas, persona, column)
    _token_targets(op, target, personas, persona, column, api)
    _report_targets(op, target)
    _referral_targets(op, target, personas, persona, column)
    _staff_referral_targets(op, target, personas, column)
    _conference_targets(op, target, personas, persona, column)
    _school_targets(op, target, personas)
    _gift_targets(op, target, personas, persona, column)
    url, body, query = _request(op, path, target)

    response = api.call(method, url, user=user, body=body, query=query)

    expected = MATRIX[op][persona][column]
    assert response.status_code == expected, response.content
    if expected == 204:
        assert response.content == b""
        return
    if op == "event_stream":
        assert response["Content-Type"].startswith("text/event-stream")
        return
    data = response.json()
    if expected >= 400:
        assert set(data) == {"detail", "errors"}
        return
    if op in LISTS:
        ids = {item["id"] for item in data["items"]}
        wanted = {
            "child_list": child.pk,
            "child_search": child.pk,
            "carer_list": carer.pk,
            "area_list": child.village_id,
            "alert_list": target.alert.pk if target.alert else None,
        }
        assert (wanted[op] in ids) == LISTS[op][persona][column]
        assert data["count"] == len(data["items"])
    elif op in {"child_get", "child_update", "child_exit", "child_reveal_id"}:
        assert data["id"] == child.pk
    elif op == "child_confirm_id":
        assert data == {"match": True}
    elif op == "carer_get":
        assert data["id"] == carer.pk
    elif op == "alert_raise":
        assert data["child"] == child.pk and data["state"] == "open"
    elif op in ALERT_OPS:
        assert target.alert is not None and data["id"] == target.alert.pk
        states = {
            "alert_get": "open",
            "alert_acknowledge": "acknowledged",
            "alert_on_the_way": "on_the_way",
            "alert_with_child": "with_child",
            "alert_resolve": "resolved",
        }
        assert data["state"] == states[op]
    elif op.startswith("escalation_policy"):
        assert data["county"]["id"] == user.area_id
        assert data["saved"] == (op == "escalation_policy_update")
    elif op == "access_log_list":
        assert data["count"] >= 1
        assert all(item["user"]["username"] for item in data["items"])
    elif op in WISH_STATES:
        assert target.wish is not None and data["id"] == target.wish.pk
        nxt = {"wish_claim": "claimed", "wish_deliver": "delivered", "wish_confirm": "confirmed"}
        assert data["state"] == nxt[op]
    elif op in ("contact_log", "examination_record", "screening_record"):
        assert data["child"] == child.pk


def test_carers_see_no_children_before_pairing(api: Api, personas: Personas) -> None:
    for user in (personas.officer, personas.doctor, personas.volunteer):
        response = api.get("/children", user=user, query={"include_exited": "true"})
        assert response.json() == {"items": [], "count": 0, "count_is_exact": True}
