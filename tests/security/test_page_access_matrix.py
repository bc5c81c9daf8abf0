"""Every page for every persona, with a child in their scope and a child outside it.

The list of routes comes from the URL configuration: a new page without an entry here fails
`test_every_page_route_has_a_matrix_entry`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts.models import User
from care365.accounts.services import api_token_create
from care365.accounts.tests.factories import UserFactory
from care365.areas.models import Area
from care365.care.models import CareTask, Wish
from care365.carers.models import Carer, Organisation
from care365.carers.tests.factories import CarerFactory, OrganisationFactory
from care365.core.tests.routes import qualified_names
from care365.insights.models import Report
from care365.pairing import services as pairing_services
from care365.pairing.models import PairingRun, PairRule
from care365.protection import services as alert_services
from care365.protection.models import Alert, WebhookEndpoint
from care365.registry.models import Child, Consent, ConsentPurpose, DuplicateFlag
from care365.registry.tests.factories import ChildFactory, LeftBehindChildFactory
from conftest import Personas, shared_personas

# The personas are made once for the module (conftest.module_personas): every case only reads
# them or changes them inside its own transaction.
personas = pytest.fixture(shared_personas, name="personas")

pytestmark = pytest.mark.django_db

REGISTRY = ("admin", "supervisor_a", "director_a", "director_b", "other_admin")
CARERS = ("officer", "doctor", "volunteer")
# Province and prefecture officials: figures only. Every child, alert, wish and carer route
# refuses them (404 for a record, 403 for a page of records), whatever child it is about: every
# child of the personas lies in their province and prefecture.
FIGURES = ("province_official", "prefecture_official")
# Teachers and organisation staff (the county's network) never open a child's record: on every
# page but the network's own pages for them (NETWORK_PAGES, whose routes speak for them) they
# answer as a user without a role does.
NETWORK = ("teacher", "org_staff")
NETWORK_PAGES: frozenset[str] = frozenset(
    {
        # An organisation's staff: their own pages, and the referrer's pages that send them there.
        "staff-organisation",
        "staff-webhook-deliveries",
        "staff-referral-list",
        "staff-referral-detail",
        "staff-referral-step",
        "referral-list",
        "referral-detail",
        # A teacher: their school's roll, its children's attendance, the roll call.
        "school-list",
        "school-roll",
        "school-roll-call",
        "school-child",
        "school-absence-add",
        "school-drop-out-add",
        "enrolment-add",
        "enrolment-end",
        "drop-out-list",
        "drop-out-detail",
        "drop-out-close",
    }
)
PERSONAS = (*REGISTRY, *CARERS, *FIGURES, "outsider", *NETWORK, "anonymous")
FIGURE_READERS = (*REGISTRY, *FIGURES)

# Each persona's village in scope (a fresh child is registered there for each request, so one
# persona's change never meets the next) and a child out of scope. Carers see no child before
# pairing.
IN_SCOPE = {
    "admin": "village_b",
    "supervisor_a": "village_a",
    "director_a": "village_a",
    "director_b": "village_b",
    "other_admin": "other_village",
}
OUT_OF_SCOPE = {
    "admin": "child_other",
    "supervisor_a": "child_b",
    "director_a": "child_b",
    "director_b": "child_a",
    "other_admin": "child_a",
}


@dataclass
class Target:
    """What a route is about for one persona: a child, a possible duplicate, a carer or a
    pairing proposal."""

    child: Child | None = None
    flag: DuplicateFlag | None = None
    carer: Carer | None = None
    run: PairingRun | None = None
    alert: Alert | None = None
    token: str = ""
    api_token: int = 0
    user: int = 0
    organisation: Organisation | None = None
    area: Area | None = None
    webhook: int = 0
    report: int = 0
    import_id: int = 0
    mandatory_report: int = 0
    registration_task: int = 0
    referral: int = 0
    school: int = 0
    enrolment: int = 0
    drop_out: int = 0


@dataclass
class Route:
    method: str
    kwargs: Callable[[Target], dict[str, Any]] = lambda t: {}
    data: dict[str, Any] | Callable[[Target], dict[str, Any]] = field(default_factory=dict)
    # "child", "child_object" (a wish or task of the child), "flag", "carer", "run", "alert",
    # "help", "api_token", "user", "organisation", "webhook", "area", "report" or "none"
    target: str = "none"
    # Expected status for a persona with a target in scope; None: "not applicable".
    in_scope: Callable[[str], int | None] = lambda who: None
    out_of_scope: Callable[[str], int] = lambda who: 404


def import_route(method: str, ok: int) -> Route:
    """One of the persona's own imports (registry staff import), or somebody else's: 404."""
    return Route(
        method,
        lambda t: {"import_id": t.import_id},
        target="import",
        in_scope=lambda who: ok if who in REGISTRY else None,
        out_of_scope=anonymous_redirect(),
    )


def signed_in(ok: int) -> Callable[[str], int]:
    return lambda who: 302 if who == "anonymous" else ok


def registry_only(ok: int) -> Callable[[str], int]:
    return lambda who: 302 if who == "anonymous" else ok if who in REGISTRY else 403


def anonymous_redirect(ok: int = 404) -> Callable[[str], int]:
    return lambda who: 302 if who == "anonymous" else ok


def child_route(
    method: str,
    ok: int,
    *,
    extra: Callable[[Target], dict[str, Any]] | None = None,
    data: dict[str, Any] | Callable[[Target], dict[str, Any]] | None = None,
    admin_only: bool = False,
) -> Route:
    def kwargs(t: Target) -> dict[str, Any]:
        assert t.child is not None
        return {"child_id": t.child.pk, **(extra(t) if extra else {})}

    def expected(who: str) -> int | None:
        if who not in REGISTRY:
            return None
        if admin_only and who not in ("admin", "other_admin"):
            return 403
        return ok

    return Route(
        method,
        kwargs,
        data or {},
        target="child",
        in_scope=expected,
        out_of_scope=anonymous_redirect(),
    )


ADMINS = ("admin", "other_admin")


def admin_only(ok: int) -> Callable[[str], int]:
    return lambda who: 302 if who == "anonymous" else ok if who in ADMINS else 403


def run_route(method: str, ok: int) -> Route:
    """A county's pairing proposal: only its county administrator; another county's is 404."""
    return Route(
        method,
        lambda t: {"run_id": t.run.pk if t.run else 0},
        target="run",
        in_scope=admin_only(ok),
        out_of_scope=admin_only(404),
    )


REPORT_READERS = ("admin", "other_admin", "supervisor_a", *FIGURES)


def report_route(ok: int, **extra: str) -> Route:
    """A report of the persona's own area (county administrators: their county; the
    supervisor: their township; the officials: their prefecture or province), or one of another
    county; nobody else reads reports. Both counties lie in the officials' prefecture and
    province, so the other county's report is theirs too (a report outside their province is
    refused in care365/insights/tests/test_officials.py)."""
    return Route(
        "get",
        lambda t: {"report_id": t.report or 987_654, **extra},
        target="report",
        in_scope=lambda who: 302 if who == "anonymous" else ok if who in REPORT_READERS else 404,
        out_of_scope=lambda who: 302 if who == "anonymous" else ok if who in FIGURES else 404,
    )


def export_route() -> Route:
    """A list as a file: the registry's keepers only (with their own lists' rows)."""
    return Route("get", lambda t: {"fmt": "csv"}, in_scope=registry_only(200))


def alert_route(method: str, ok: int, *, action: str = "") -> Route:
    """An alert of a child in the persona's scope (registry staff), or of a child out of it."""

    def kwargs(t: Target) -> dict[str, Any]:
        extra = {"action": action} if action else {}
        return {"alert_id": t.alert.pk if t.alert else 0, **extra}

    return Route(
        method,
        kwargs,
        target="alert",
        in_scope=lambda who: ok if who in REGISTRY else None,
        out_of_scope=anonymous_redirect(),
    )


def _carer_near(t: Target) -> Carer:
    assert t.child is not None
    return CarerFactory.create(organisation__area=t.child.village.parent)


def _rule_on(t: Target) -> dict[str, Any]:
    assert t.child is not None
    carer = _carer_near(t)
    rule = PairRule.objects.create(
        child=t.child,
        role=carer.role,
        carer=carer,
        kind="forbid",
        created_by=UserFactory.create(role=""),
    )
    return {"rule_id": rule.pk}


def _consent_on(t: Target) -> dict[str, Any]:
    assert t.child is not None
    Consent.objects.get_or_create(
        child=t.child,
        purpose=ConsentPurpose.VOLUNTEER,
        withdrawn_on=None,
        defaults={"given_on": "2025-01-01"},
    )
    return {"purpose": ConsentPurpose.VOLUNTEER}


def _wish_on(t: Target) -> dict[str, Any]:
    """An open wish of the child, on the county's board (the guardian consents to sharing)."""
    assert t.child is not None
    Consent.objects.get_or_create(
        child=t.child,
        purpose=ConsentPurpose.VOLUNTEER,
        withdrawn_on=None,
        defaults={"given_on": "2025-01-01"},
    )
    poster = UserFactory.create(role="")
    wish = Wish.objects.create(
        child=t.child, what="一套画笔", cost_yuan=40, posted_by=poster, posted_at=timezone.now()
    )
    return {"wish_id": wish.pk, "action": "claim"}


def _gift_event_on(t: Target) -> dict[str, Any]:
    """A Children's Day of the child's village (recorded by a user of no role)."""
    from care365.care.models import CareEvent

    assert t.child is not None
    event = CareEvent.objects.create(
        kind="childrens_day",
        title="六一儿童节",
        held_on=timezone.localdate(),
        area=t.child.village,
        recorded_by=UserFactory.create(role=""),
    )
    return {"event_id": event.pk}


def _gift_on(t: Target) -> dict[str, Any]:
    """A planned gift for the child at a Children's Day of its village."""
    from care365.care.models import Gift

    assert t.child is not None
    event_id = _gift_event_on(t)["event_id"]
    gift = Gift.objects.create(
        event_id=event_id,
        child=t.child,
        what="书包",
        planned_by=UserFactory.create(role=""),
        planned_at=timezone.now(),
    )
    return {"gift_id": gift.pk, "action": "deliver"}


def _donor_of(t: Target) -> dict[str, Any]:
    """The target organisation as a donating company."""
    assert t.organisation is not None
    Organisation.objects.filter(pk=t.organisation.pk).update(kind="company")
    return {"organisation_id": t.organisation.pk}


def _task_on(t: Target) -> dict[str, Any]:
    """A referral task of the child that nobody holds (the child has no doctor)."""
    assert t.child is not None
    task = CareTask.objects.create(
        kind=CareTask.Kind.REFERRAL,
        child=t.child,
        created_at=timezone.now(),
        due_on=timezone.localdate(),
    )
    return {"task_id": task.pk}


def _learning_note_on(t: Target) -> dict[str, Any]:
    """A progress note on a learning goal of the child (set by a user of no role)."""
    from care365.care.models import LearningGoal

    if t.child is None:
        return {}
    goal = LearningGoal.objects.create(
        child=t.child,
        subject="maths",
        goal="背熟乘法口诀",
        started_on=timezone.localdate(),
        set_by=UserFactory.create(role=""),
    )
    return {"goal": goal.pk, "note": "背到七了", "noted_on": timezone.localdate().isoformat()}


def care_route(method: str, kwargs: Callable[[Target], dict[str, Any]], ok: int) -> Route:
    """A wish or a task of a child in the persona's scope (registry staff), or out of it."""
    return Route(
        method,
        kwargs,
        target="child_object",
        in_scope=lambda who: ok if who in REGISTRY else None,
        out_of_scope=anonymous_redirect(),
    )


# Daily care: who may open each form for a child in scope (registry staff only here: carers see
# no child before pairing). A county administrator logs no contact kind; only a paired doctor
# examines, only a doctor or a trained director screens.
CARE_LOGGERS = ("supervisor_a", "director_a", "director_b")
EXAM_LISTS = ("admin", "other_admin", "supervisor_a", "doctor")
HEALTH_SESSIONS = (*REGISTRY, "doctor")
# Health education in figures: county administrators and township supervisors.
SESSION_FIGURES = ("admin", "other_admin", "supervisor_a")
# A wish on the board reaches everyone working in its county: a claim of a wish of a child out of
# the persona's scope but in their county goes through.
SAME_COUNTY = ("supervisor_a", "director_a", "director_b", "officer", "doctor", "volunteer")


def county_route(
    method: str, ok: int, kwargs: Callable[[Target], dict[str, Any]], target: str
) -> Route:
    """A carer, organisation or area the county administrator keeps (the county's pages): in
    scope for the administrator of its county; another county's, or anyone else, is not found
    (the lookup answers only to an administrator of the county)."""
    return Route(
        method,
        kwargs,
        target=target,
        in_scope=lambda who: 302 if who == "anonymous" else ok if who in ADMINS else 404,
        out_of_scope=anonymous_redirect(),
    )


def admin_then_lookup(
    method: str, ok: int, kwargs: Callable[[Target], dict[str, Any]], target: str
) -> Route:
    """A county administrator's page about one record: anyone else is refused (403) before the
    record is looked up; another county's record is not found (404) for an administrator."""
    return Route(
        method,
        kwargs,
        target=target,
        in_scope=admin_only(ok),
        out_of_scope=lambda who: 302 if who == "anonymous" else 404 if who in ADMINS else 403,
    )


def _carer_id(t: Target) -> dict[str, Any]:
    return {"carer_id": t.carer.pk if t.carer else 0}


# Who reads mandatory reports (the county's administrators, supervisors and directors of their
# areas, the covering station's officers) and who prints a poster (registry staff of the area).
MANDATORY_READERS = (*REGISTRY, "officer")
POSTER_PRINTERS = ("admin", "other_admin", "supervisor_a", "director_a")
_REPORTS = iter(range(1, 1_000_000))


def _mandatory_report(village: Area) -> Target:
    """A public report of a child the registry does not know, in `village` (with its
    registration task), from an address and phone of its own (the page's rate limit)."""
    from care365.network.services import mandatory_report_submit

    n = next(_REPORTS)
    report = mandatory_report_submit(
        village_id=village.pk,
        reporter_name="陈老师",
        reporter_phone=f"139{n:08d}",
        reporter_role="teacher",
        child_name="王小明",
        situation="abandoned",
        what_seen="孩子一个人在家好几天了",
        client_ip=f"10.9.{n // 250}.{n % 250}",
    )
    return Target(mandatory_report=report.pk, registration_task=report.registration_task.pk)


def mandatory_route(method: str, ok: int, *, task: bool = False) -> Route:
    """A report about a village in the persona's scope (the officer: a village the station
    covers), or about one outside it."""

    def kwargs(t: Target) -> dict[str, Any]:
        return (
            {"task_id": t.registration_task}
            if task
            else {"mandatory_report_id": t.mandatory_report}
        )

    def in_scope(who: str) -> int | None:
        if who in REGISTRY:
            return ok
        if who == "officer":
            return 404 if task else ok  # officers act on the alert, not the registry
        return None

    return Route(
        method, kwargs, target="mandatory_report", in_scope=in_scope,
        out_of_scope=anonymous_redirect(),
    )  # fmt: skip


def _referral_on(t: Target, action: str = "") -> dict[str, Any]:
    """A referral of the child (sent by a user of no role, to an agency of its county)."""
    from care365.network.models import Referral

    assert t.child is not None
    agency = OrganisationFactory.create(
        kind="social_work", area=t.child.village.parent, services=["counselling"]
    )
    referral = Referral.objects.create(
        child=t.child,
        village_id=t.child.village_id,
        organisation=agency,
        service="counselling",
        reason="需要心理辅导",
        referred_by=UserFactory.create(role=""),
        created_at=timezone.now(),
        due_on=timezone.localdate(),
    )
    return {"referral_id": referral.pk, **({"action": action} if action else {})}


def _conference_on(t: Target, action: str = "") -> dict[str, Any]:
    """A planned case conference of the child (convened by a user of no role)."""
    from care365.network.models import CaseConference

    assert t.child is not None
    conference = CaseConference.objects.create(
        child=t.child,
        held_on=timezone.localdate(),
        reason="多次夜不归宿",
        convened_by=UserFactory.create(role=""),
        created_at=timezone.now(),
    )
    return {"conference_id": conference.pk, **({"action": action} if action else {})}


def _conference_action_on(t: Target) -> dict[str, Any]:
    """An open action of a conference of the child, owned by a user of no role."""
    from care365.network.models import ConferenceAction

    conference_id = _conference_on(t)["conference_id"]
    nobody = UserFactory.create(role="")
    action = ConferenceAction.objects.create(
        conference_id=conference_id,
        what="每周家访",
        owner=nobody,
        due_on=timezone.localdate(),
        created_at=timezone.now(),
        created_by=nobody,
    )
    return {"action_id": action.pk}


def _attendee_on(t: Target) -> dict[str, Any]:
    """An attendee of a conference of the child."""
    from care365.network.models import ConferenceAttendee

    conference_id = _conference_on(t)["conference_id"]
    attendee = ConferenceAttendee.objects.create(
        conference_id=conference_id, name="王校长", role="学校"
    )
    return {"conference_id": conference_id, "attendee_id": attendee.pk}


# Case conferences (docs/network.md): the county's administrators and the township supervisor
# convene and run them; a director sees their village's (the child page) but runs none (403).
CONVENERS = ("admin", "other_admin", "supervisor_a")


def conference_route(
    method: str, kwargs: Callable[[Target], dict[str, Any]], ok: int, *, refused: int = 403
) -> Route:
    """A conference (or an action) of a child in the persona's scope: conveners `ok`, the
    directors `refused`; out of scope 404."""
    return Route(
        method,
        kwargs,
        target="child_object",
        in_scope=lambda who: None if who not in REGISTRY else ok if who in CONVENERS else refused,
        out_of_scope=anonymous_redirect(),
    )


# An organisation's staff (docs/network.md): their own pages; anyone else is refused (403)
# before a record is looked up; another organisation's referral is not found (404).
def staff_only(ok: int) -> Callable[[str], int]:
    return lambda who: 302 if who == "anonymous" else ok if who == "org_staff" else 403


def staff_referral_route(method: str, ok: int, action: str = "") -> Route:
    """A referral to the personas' agency (in scope) or to another organisation (out of
    scope)."""
    return Route(
        method,
        lambda t: {"referral_id": t.referral, **({"action": action} if action else {})},
        target="staff_referral",
        in_scope=staff_only(ok),
        out_of_scope=staff_only(404),
    )


# Schools and attendance (docs/network.md): the registry's keepers see the schools of their
# county and the children of their area; a teacher their own school's roll and its children
# (identity and attendance), and calls the roll; every other role has no schools pages (403);
# an enrolment or a drop-out is the registry keepers' alone (404 for anyone else).
TEACHERS = ("teacher",)
SCHOOL_READERS = (*REGISTRY, *TEACHERS)


def _school_target(personas: Personas, who: str, kind: str, *, in_scope: bool) -> Target:
    """A child enrolled at a school (with the school, the enrolment and an open drop-out).
    In scope: for registry staff a fresh child of their village, at a school of its township;
    for the teacher (and everyone else) a fresh child of village A at the teacher's school.
    Out of scope: the persona's out-of-scope child (the teacher's: a child of village B) at a
    school of its own township, never the teacher's."""
    from care365.network.models import DropOut, Enrolment

    if in_scope:
        village = getattr(personas, IN_SCOPE.get(who, "village_a"))
        child = LeftBehindChildFactory.create(village=village)
    else:
        child = getattr(personas, OUT_OF_SCOPE.get(who, "child_b"))
    township = child.village.parent
    school = (
        personas.school_a
        if township == personas.school_a.area and (in_scope or who not in TEACHERS)
        else OrganisationFactory.create(kind="school", area=township)
    )
    if kind == "school" and not in_scope:
        # A school of another county for registry staff (who see every school of theirs).
        away = personas.village_a if who == "other_admin" else personas.other_village
        place = away if who in REGISTRY else personas.village_b
        school = OrganisationFactory.create(kind="school", area=place.parent)
    nobody = UserFactory.create(role="")
    Enrolment.objects.filter(child=child, until__isnull=True).delete()
    enrolment = Enrolment.objects.create(
        child=child, school=school, grade="p3", since=date(2025, 9, 1), created_by=nobody,
        created_at=timezone.now(),
    )  # fmt: skip
    drop_out = 0
    if kind == "drop_out":
        DropOut.objects.filter(child=child, state="open").delete()
        drop_out = DropOut.objects.create(
            child=child, school=school, left_on=timezone.localdate(), recorded_by=nobody,
            created_at=timezone.now(),
        ).pk  # fmt: skip
    return Target(child=child, school=school.pk, enrolment=enrolment.pk, drop_out=drop_out)


def school_route(
    method: str,
    key: str,
    *,
    ok: int,
    readers: tuple[str, ...] = SCHOOL_READERS,
    refused: int = 403,
    data: dict[str, Any] | None = None,
    target: str = "school_child",
) -> Route:
    """A schools page about one record: `readers` in scope `ok`, out of scope 404; anyone
    else `refused` (403 before any lookup, or 404 for a record they may never keep)."""

    def kwargs(t: Target) -> dict[str, Any]:
        assert t.child is not None
        value = {"child_id": t.child.pk, "school_id": t.school, "enrolment_id": t.enrolment,
                 "drop_out_id": t.drop_out}[key]  # fmt: skip
        return {key: value}

    return Route(
        method,
        kwargs,
        data or {},
        target=target,
        in_scope=lambda who: 302 if who == "anonymous" else ok if who in readers else refused,
        out_of_scope=lambda who: 302 if who == "anonymous" else 404 if who in readers else refused,
    )


def _today() -> str:
    return timezone.localdate().isoformat()


MATRIX: dict[str, Route] = {
    "home": Route("get", in_scope=signed_in(200)),
    "login": Route("get", in_scope=lambda who: 200 if who == "anonymous" else 302),
    "logout": Route("post", in_scope=lambda who: 302),
    # The code step and setting up an app while signing in need a password step first.
    "login-code": Route("get", in_scope=lambda who: 302),
    "login-enrol": Route("get", in_scope=lambda who: 302),
    "two-factor": Route("get", in_scope=signed_in(200)),
    "two-factor-start": Route("post", in_scope=lambda who: 302),
    "two-factor-confirm": Route("post", data={"code": "000000"}, in_scope=signed_in(200)),
    "two-factor-codes": Route("post", data={"code": "000000"}, in_scope=signed_in(200)),
    "two-factor-remove": Route("post", data={"code": "000000"}, in_scope=signed_in(200)),
    "api-tokens": Route("get", in_scope=signed_in(200)),
    # One's own token (in scope); a token of a user of another county (out of scope).
    "api-token-revoke": Route(
        "post",
        lambda t: {"token_id": t.api_token},
        target="api_token",
        in_scope=lambda who: 302,
        out_of_scope=anonymous_redirect(),
    ),
    # Oneself (in scope: a county administrator manages the county's users, themselves
    # included); a user of another county (out of scope).
    "user-tokens-revoke": Route(
        "post",
        lambda t: {"user_id": t.user},
        target="user",
        in_scope=admin_only(302),
        out_of_scope=lambda who: 302 if who == "anonymous" else 404 if who in ADMINS else 403,
    ),
    "child-list": Route("get", in_scope=signed_in(200)),
    "child-search": Route("post", data={"q": "小"}, in_scope=lambda who: 302),
    "child-register": Route("get", in_scope=registry_only(200)),
    "child-detail": child_route("get", 200),
    "child-reveal-id": child_route(
        "post", 200, data={"reason": "核查户籍信息以办理低保"}, admin_only=True
    ),
    "child-edit": child_route("get", 200),
    "child-export": child_route(
        "post", 200, data={"export-reason": "监护人申请查阅孩子的全部记录"}, admin_only=True
    ),
    "child-confirm-id": Route(
        "post",
        lambda t: {"child_id": t.child.pk if t.child else 0},
        lambda t: {
            "confirm-id_number": t.child.id_number if t.child else "",
            "confirm-reason": "核对监护人提供的户口簿",
        },
        target="child",
        in_scope=lambda who: 200 if who in REGISTRY else None,
        # Only the roles that see ID numbers may check one: others are refused whatever child.
        out_of_scope=lambda who: 302 if who == "anonymous" else 404 if who in REGISTRY else 403,
    ),
    "child-exit": child_route("get", 200),
    "status-add": child_route("post", 302, data={"add-kind": "difficulty_poverty"}),
    "status-end": child_route(
        "post", 302, extra=lambda t: {"kind": "left_behind"}, data={"end-reason": "reassessed"}
    ),
    "parent-return": child_route("post", 302, extra=lambda t: {"role": "father"}),
    "duplicate-resolve": Route(
        "post",
        lambda t: {"flag_id": t.flag.pk if t.flag else 0},
        {"resolution": "distinct"},
        target="flag",
        in_scope=lambda who: 302 if who in REGISTRY else None,
        out_of_scope=anonymous_redirect(),
    ),
    "pair-rule-set": child_route(
        "post",
        302,
        data=lambda t: {"carer": _carer_near(t).pk, "kind": "lock"},
        admin_only=True,
    ),
    "pair-rule-remove": child_route("post", 302, extra=_rule_on, admin_only=True),
    "consent-record": child_route(
        "post", 302, data={"consent-purpose": "volunteer", "consent-reference": "A-1"}
    ),
    "consent-withdraw": child_route("post", 302, extra=_consent_on),
    "pairing": Route("get", in_scope=admin_only(200)),
    "pairing-propose": Route("post", in_scope=admin_only(302)),
    "pairing-settings": Route("get", in_scope=admin_only(200)),
    "pairing-run": run_route("get", 200),
    "pairing-approve": run_route("post", 302),
    "notices-read": Route("post", in_scope=lambda who: 302),
    "access-log": Route("get", in_scope=admin_only(200)),
    "alert-raise": child_route("post", 302, data={"alert-kind": "danger", "alert-note": "x"}),
    "help-card": child_route("get", 200),
    "alert-board": Route(
        "get",
        in_scope=lambda who: (
            302 if who == "anonymous" else 200 if who in (*REGISTRY, "officer") else 403
        ),
    ),
    "alert-response-times": Route(
        "get",
        in_scope=lambda who: (
            302
            if who == "anonymous"
            else 200
            if who in ("admin", "other_admin", "supervisor_a")
            else 403
        ),
    ),
    "escalation-policy": Route("get", in_scope=admin_only(200)),
    "alert-detail": alert_route("get", 200),
    "alert-act": alert_route("post", 302, action="acknowledge"),
    "help-page": Route(
        "get",
        lambda t: {"token": t.token},
        target="help",
        in_scope=lambda who: 200,
        out_of_scope=lambda who: 404,
    ),
    "child-break-glass": Route(
        "get",
        in_scope=lambda who: (
            302
            if who == "anonymous"
            else 403
            if who in ("outsider", "volunteer", *FIGURES)
            else 200
        ),
    ),
    "transfer-list": Route("get", in_scope=admin_only(200)),
    # No such request: county administrators reach the look-up (404), nobody else the page.
    "transfer-decide": Route(
        "post",
        lambda t: {"transfer_id": 999_999, "decision": "accept"},
        in_scope=admin_only(404),
    ),
    "carer-list": Route("get", in_scope=signed_in(200)),
    "carer-detail": Route(
        "get",
        lambda t: {"carer_id": t.carer.pk if t.carer else 0},
        target="carer",
        in_scope=lambda who: (
            None if who in ("outsider", "anonymous") else 404 if who in FIGURES else 200
        ),
        out_of_scope=anonymous_redirect(),
    ),
    "care-due": Route("get", in_scope=signed_in(200)),
    "care-task-done": care_route("post", _task_on, 302),
    "care-exams-due": Route(
        "get",
        in_scope=lambda who: 302 if who == "anonymous" else 200 if who in EXAM_LISTS else 403,
    ),
    "care-health-sessions": Route(
        "get",
        in_scope=lambda who: 302 if who == "anonymous" else 200 if who in HEALTH_SESSIONS else 403,
    ),
    "care-health-session-figures": Route(
        "get",
        in_scope=lambda who: 302 if who == "anonymous" else 200 if who in SESSION_FIGURES else 403,
    ),
    "care-risk": Route("get", in_scope=registry_only(200)),
    # Figures: registry staff see their own area and every area below it (the child's village
    # in scope), and no other (404, as a missing area); the officials above the county see the
    # figures of every area of their prefecture or province, which holds both counties (an area
    # outside it: care365/insights/tests/test_officials.py); carers and the outsider have no
    # area's figures (403).
    "dashboard": Route(
        "get",
        in_scope=lambda who: 302 if who == "anonymous" else 200 if who in FIGURE_READERS else 403,
    ),
    "area-dashboard": Route(
        "get",
        lambda t: {"area_id": t.child.village_id if t.child else 1},
        # The child's village (a missing area is tested in care365/insights/tests).
        target="child_object",
        in_scope=lambda who: 200 if who in REGISTRY else None,
        out_of_scope=lambda who: (
            302
            if who == "anonymous"
            else 404
            if who in REGISTRY
            else 200
            if who in FIGURES
            else 403
        ),
    ),
    "care-wishes": Route("get", in_scope=signed_in(200)),
    "care-wish-act": Route(
        "post",
        _wish_on,
        target="child_object",
        in_scope=lambda who: 302 if who in REGISTRY else None,
        out_of_scope=lambda who: 302 if who in (*SAME_COUNTY, "anonymous") else 404,
    ),
    "care-events": Route("get", in_scope=signed_in(200)),
    # Gifts (docs/care.md): everyone signed in has the list of their own gifts to deliver; an
    # event's gifts and a gift are reached by the registry's keepers of the child's area (a
    # paired volunteer's: care365/care/tests/test_gifts.py); a donor's totals and thanks are
    # the county administrator's.
    "care-gifts": Route("get", in_scope=signed_in(200)),
    "care-event-gifts": care_route("get", _gift_event_on, 200),
    "care-gift-act": care_route("post", _gift_on, 302),
    "care-donors": Route("get", in_scope=admin_only(200)),
    "care-donor-totals": admin_then_lookup("get", 200, _donor_of, "organisation"),
    "care-donor-thank": admin_then_lookup("post", 302, _donor_of, "organisation"),
    "care-contact-log": Route(
        "get",
        lambda t: {"child_id": t.child.pk if t.child else 0},
        target="child",
        in_scope=lambda who: None if who not in REGISTRY else 200 if who in CARE_LOGGERS else 403,
        out_of_scope=anonymous_redirect(),
    ),
    "care-exam-record": child_route("get", 403),
    "care-screening-record": child_route("get", 403),
    "care-wish-post": child_route("get", 200),
    # Study help and interests (docs/care.md): the child's team reads; the volunteer and the
    # keepers of the child's area write (carers see no child here before pairing: their rows are
    # in care365/care/tests/test_learning.py).
    "care-learning": child_route("get", 200),
    "care-learning-goal": child_route(
        "post",
        302,
        data=lambda t: {
            "subject": "maths",
            "goal": "背熟乘法口诀",
            "started_on": timezone.localdate().isoformat(),
        },
    ),
    "care-learning-note": child_route("post", 302, data=_learning_note_on),
    "care-learning-interest": child_route(
        "post",
        302,
        data=lambda t: {
            "interest": "music",
            "what": "学唱山歌",
            "done_on": timezone.localdate().isoformat(),
        },
    ),
    # The county's own pages (docs/county-admin.md).
    "county": Route("get", in_scope=admin_only(200)),
    # A one-time link that is not valid shows its page (saying so) to anyone.
    "password-set": Route(
        "get", lambda t: {"uidb64": "MQ", "token": "bad-token"}, in_scope=lambda who: 200
    ),
    "user-list": Route("get", in_scope=admin_only(200)),
    "user-add": Route("get", in_scope=admin_only(200)),
    "user-edit": admin_then_lookup("get", 200, lambda t: {"user_id": t.user}, "user"),
    "user-action": admin_then_lookup(
        "post", 302, lambda t: {"user_id": t.user, "action": "two-step"}, "user"
    ),
    # Registry staff may propose a volunteer; carers and outsiders add nobody.
    "carer-add": Route("get", in_scope=registry_only(200)),
    "carer-edit": county_route("get", 200, _carer_id, "carer"),
    "carer-vet": county_route("get", 200, _carer_id, "carer"),
    "carer-deactivate": county_route("get", 200, _carer_id, "carer"),
    "carer-reactivate": county_route("post", 302, _carer_id, "carer"),
    "carer-capacity": admin_then_lookup("post", 302, _carer_id, "carer"),
    "organisation-list": Route("get", in_scope=admin_only(200)),
    "organisation-add": Route("get", in_scope=admin_only(200)),
    "organisation-edit": admin_then_lookup(
        "get",
        200,
        lambda t: {"organisation_id": t.organisation.pk if t.organisation else 0},
        "organisation",
    ),
    # An organisation's webhook endpoints and the county's deliveries (docs/network.md).
    "organisation-webhooks": admin_then_lookup(
        "get",
        200,
        lambda t: {"organisation_id": t.organisation.pk if t.organisation else 0},
        "organisation",
    ),
    "webhook-rotate": admin_then_lookup(
        "post", 200, lambda t: {"endpoint_id": t.webhook}, "webhook"
    ),
    "webhook-deactivate": admin_then_lookup(
        "post", 302, lambda t: {"endpoint_id": t.webhook}, "webhook"
    ),
    "webhook-deliveries": Route("get", in_scope=admin_only(200)),
    "area-list": Route("get", in_scope=admin_only(200)),
    "area-add": Route("get", in_scope=admin_only(200)),
    "area-merge": Route("get", in_scope=admin_only(200)),
    "area-edit": admin_then_lookup(
        "get", 200, lambda t: {"area_id": t.area.pk if t.area else 0}, "area"
    ),
    "care-settings": Route("get", in_scope=admin_only(200)),
    "pairing-assign": Route(
        "get",
        lambda t: {"child_id": t.child.pk if t.child else 0, "role": "police"},
        target="child",
        in_scope=lambda who: None if who not in REGISTRY else 200 if who in ADMINS else 403,
        out_of_scope=lambda who: 302 if who == "anonymous" else 404 if who in ADMINS else 403,
    ),
    "export-children": export_route(),
    "export-carers": export_route(),
    "export-due": export_route(),
    "export-risk": export_route(),
    "export-alerts": export_route(),
    "report-list": Route(
        "get",
        in_scope=lambda who: 302 if who == "anonymous" else 200 if who in REPORT_READERS else 403,
    ),
    "report-detail": report_route(200),
    "report-progress": report_route(200),
    "report-download": report_route(200, fmt="pdf"),
    "import-index": Route("get", in_scope=registry_only(200)),
    "import-template": Route("get", lambda t: {"kind": "children"}, in_scope=registry_only(200)),
    "import-detail": import_route("get", 200),
    "import-progress": import_route("get", 200),
    "import-columns": import_route("get", 200),
    "import-report": import_route("get", 200),
    "import-check": import_route("post", 302),
    "import-apply": import_route("post", 302),
    "import-discard": import_route("post", 302),
    # A link that is not one: the page says so, to anyone.
    # Open mandatory reporting: the public pages answer everyone; staff pages as above.
    "report-page": Route("get", in_scope=lambda who: 200),
    "report-status": Route("get", in_scope=lambda who: 200),
    "report-poster": Route(
        "get",
        lambda t: {"area_id": t.area.pk if t.area else 0},
        target="area",
        in_scope=lambda who: 302 if who == "anonymous" else 200 if who in POSTER_PRINTERS else 404,
        out_of_scope=lambda who: (
            302
            if who == "anonymous"
            else 404
            if who in ADMINS or who not in POSTER_PRINTERS
            else 200
        ),
    ),
    "mandatory-report-list": Route(
        "get",
        in_scope=lambda who: (
            302 if who == "anonymous" else 200 if who in MANDATORY_READERS else 403
        ),
    ),
    "mandatory-report-detail": mandatory_route("get", 200),
    "registration-task-done": mandatory_route("post", 302, task=True),
    # Referrals (docs/network.md): those who refer (registry staff, carers) have the list; a
    # referral is seen by whoever sees its child; the county's administrators record the
    # organisation's answer (others who see it: 403).
    # An organisation's staff are sent to their own pages (whose doors answer for them).
    "referral-list": Route(
        "get",
        in_scope=lambda who: (
            302
            if who in ("anonymous", "org_staff")
            else 200
            if who in (*REGISTRY, *CARERS)
            else 403
        ),
    ),
    "referral-add": child_route("get", 200),
    "referral-detail": Route(
        "get",
        _referral_on,
        target="child_object",
        in_scope=lambda who: 200 if who in REGISTRY else None,
        out_of_scope=lambda who: 302 if who in ("anonymous", "org_staff") else 404,
    ),
    "staff-organisation": Route("get", in_scope=staff_only(200)),
    "staff-webhook-deliveries": Route("get", in_scope=staff_only(200)),
    "staff-referral-list": Route("get", in_scope=staff_only(200)),
    "staff-referral-detail": staff_referral_route("get", 200),
    "staff-referral-step": staff_referral_route("post", 302, "accept"),
    "referral-step": Route(
        "post",
        lambda t: _referral_on(t, "accept"),
        target="child_object",
        in_scope=lambda who: None if who not in REGISTRY else 302 if who in ADMINS else 403,
        out_of_scope=anonymous_redirect(),
    ),
    "conference-list": Route(
        "get",
        in_scope=lambda who: 302 if who == "anonymous" else 200 if who in CONVENERS else 403,
    ),
    "conference-add": Route(
        "get",
        lambda t: {"child_id": t.child.pk if t.child else 0},
        target="child",
        in_scope=lambda who: None if who not in REGISTRY else 200 if who in CONVENERS else 403,
        out_of_scope=anonymous_redirect(),
    ),
    "conference-detail": care_route("get", _conference_on, 200),
    "conference-edit": conference_route("get", _conference_on, 200),
    # Closing a planned conference is refused with a message (a state conflict): back to it.
    "conference-step": conference_route("post", lambda t: _conference_on(t, "close"), 302),
    "conference-actions-mine": Route(
        "get",
        in_scope=lambda who: (
            302 if who == "anonymous" else 200 if who in (*REGISTRY, *CARERS) else 403
        ),
    ),
    # A director who neither owns the action nor runs the conference: not found.
    "conference-action-done": conference_route("post", _conference_action_on, 302, refused=404),
    "conference-action-edit": conference_route("get", _conference_action_on, 200, refused=404),
    "conference-attendee-remove": conference_route("post", _attendee_on, 302),
    # Schools and attendance: a teacher's list is their school's roll (a redirect).
    "school-list": Route(
        "get",
        in_scope=lambda who: (
            302 if who in ("anonymous", *TEACHERS) else 200 if who in REGISTRY else 403
        ),
    ),
    # A school of the persona's county (the teacher's own), or one of another county (another
    # school, for the teacher).
    "school-roll": school_route("get", "school_id", ok=200, target="school"),
    # Only the school's teachers call the roll: the registry's keepers are refused (403) once
    # the school is found to be one of theirs.
    "school-roll-call": Route(
        "get",
        lambda t: {"school_id": t.school},
        target="school",
        in_scope=lambda who: 302 if who == "anonymous" else 200 if who in TEACHERS else 403,
        out_of_scope=lambda who: (
            302 if who == "anonymous" else 404 if who in SCHOOL_READERS else 403
        ),
    ),
    "school-child": school_route("get", "child_id", ok=200),
    "school-absence-add": school_route(
        "post",
        "child_id",
        ok=302,
        data={"absence-start": _today(), "absence-reason": "illness"},
    ),
    "school-drop-out-add": school_route(
        "post", "child_id", ok=302, data={"drop-left_on": _today()}
    ),
    "enrolment-add": child_route("get", 200),
    "enrolment-end": school_route(
        "post",
        "enrolment_id",
        ok=302,
        readers=REGISTRY,
        refused=404,
        data={"until": _today(), "reason": "moved"},
    ),
    "drop-out-list": Route("get", in_scope=registry_only(200)),
    "drop-out-detail": school_route(
        "get", "drop_out_id", ok=200, readers=REGISTRY, refused=404, target="drop_out"
    ),
    "drop-out-close": school_route(
        "post",
        "drop_out_id",
        ok=302,
        readers=REGISTRY,
        refused=404,
        target="drop_out",
        data={"outcome": "随父母迁往外地就读"},
    ),
}


def _import_by(personas: Personas, who: str) -> int:
    """A small import of children by `who` (checked, with its file stored)."""
    import tempfile
    from pathlib import Path

    from care365.imports import services as import_services
    from care365.imports.tests.helpers import CHILD_HEADER, child_row, write_csv

    user: User = getattr(personas, who)
    county = personas.other_county if who == "other_admin" else personas.county
    folder = Path(tempfile.mkdtemp())
    path = write_csv(folder / "f.csv", CHILD_HEADER, [child_row("甲", "女", date(2015, 3, 9), 2)])
    record = import_services.import_start(
        actor=user, kind="children", county=county, path=path, file_name="f.csv",
        source="page", keep_file=True,
    )  # fmt: skip
    return record.pk


def page_route_names() -> set[str]:
    return set(qualified_names())


def test_every_page_route_has_a_matrix_entry() -> None:
    assert page_route_names() == set(MATRIX)


def _flag_on(child: Child) -> DuplicateFlag:
    twin = ChildFactory.create(
        village=child.village, name=child.name, birth_date=child.birth_date, id_number=""
    )
    return DuplicateFlag.objects.create(child=child, other=twin)


def _carer_elsewhere(personas: Personas, *, county: str) -> Carer:
    township = (personas.other_village if county == "other" else personas.village_a).parent
    return CarerFactory.create(organisation__area=township)


def _target(personas: Personas, who: str, route: Route, *, in_scope: bool) -> Target | None:
    """The object the route acts on for this persona, or None if the case does not apply."""
    if route.target == "none":
        return Target() if in_scope else None
    if route.target in ("school_child", "school", "drop_out"):
        return _school_target(personas, who, route.target, in_scope=in_scope)
    if route.target == "alert":
        if in_scope:
            village = IN_SCOPE.get(who)
            if village is None:
                return None
            child = LeftBehindChildFactory.create(village=getattr(personas, village))
        else:
            # Village A's alerts reach the officer's station (it covers village A): out of the
            # officer's scope is a child of village B, which no station covers.
            default = "child_b" if who == "officer" else "child_a"
            child = getattr(personas, OUT_OF_SCOPE.get(who, default))
        admin = personas.other_admin if child.village.code.startswith("331126") else personas.admin
        # Raised by the family's help link: nobody answers an alert they raised themselves.
        _link, token = alert_services.help_link_issue(actor=admin, child=child)
        return Target(alert=alert_services.alert_raise_from_help_link(token=token))
    if route.target == "report":
        me = getattr(personas, who, None)
        if in_scope:
            area = me.area if me is not None and me.area is not None else personas.county
        else:
            area = personas.county if who == "other_admin" else personas.other_county
        report = Report.objects.create(
            kind="monthly", period="2025-06", area=area, state="done", pdf=b"%PDF-1.4"
        )
        return Target(report=report.pk)
    if route.target == "mandatory_report":
        if in_scope:
            name = IN_SCOPE.get(who) or ("village_a" if who == "officer" else None)
            return _mandatory_report(getattr(personas, name)) if name else None
        # Village B: no station covers it, so it is out of the officer's scope too.
        child = getattr(personas, OUT_OF_SCOPE.get(who, "child_b"))
        return _mandatory_report(child.village)
    if route.target == "staff_referral":
        from care365.network.models import Referral

        agency = (
            personas.agency
            if in_scope
            else OrganisationFactory.create(kind="charity", area=personas.county)
        )
        referral = Referral.objects.create(
            child=personas.child_a,
            village_id=personas.child_a.village_id,
            organisation=agency,
            service="counselling",
            reason="需要心理辅导",
            referred_by=UserFactory.create(role=""),
            created_at=timezone.now(),
            due_on=timezone.localdate(),
        )
        return Target(referral=referral.pk)
    if route.target == "help":
        child = LeftBehindChildFactory.create(village=personas.village_a)
        _link, token = alert_services.help_link_issue(actor=personas.admin, child=child)
        return Target(token=token if in_scope else "not-a-token-" + token[:8])
    if route.target in ("api_token", "user"):
        me: User = getattr(personas, who, personas.admin)
        owner = me if in_scope else personas.admin if who == "other_admin" else personas.other_admin
        if route.target == "user":
            return Target(user=owner.pk)
        api_token_create(user=owner)
        return Target(api_token=owner.api_tokens.latest("pk").pk)
    if route.target in ("organisation", "area", "webhook"):
        # Admins: their own county's in scope, the other county's out of scope; everyone else
        # is shown their own county's.
        user_county = "other" if who == "other_admin" else "own"
        if not in_scope and who in ADMINS:
            user_county = "own" if who == "other_admin" else "other"
        township = (personas.other_village if user_county == "other" else personas.village_a).parent
        if route.target == "area":
            return Target(
                area=personas.other_village if user_county == "other" else personas.village_a
            )
        organisation = OrganisationFactory.create(area=township)
        if route.target == "webhook":
            endpoint = WebhookEndpoint.objects.create(
                organisation=organisation,
                url="https://sunshine.example/hook",
                secret="whsec_test",  # a test's secret
                created_at=timezone.now(),
            )
            return Target(webhook=endpoint.pk)
        return Target(organisation=organisation)
    if route.target == "import":
        if in_scope:
            return Target(import_id=_import_by(personas, who)) if who in REGISTRY else None
        return Target(
            import_id=_import_by(personas, "admin" if who == "other_admin" else "other_admin")
        )
    if route.target == "run":
        # Admins: their own county's proposal in scope, the other county's out of scope; everyone
        # else is shown the county's proposal and refused.
        home = personas.other_county if who == "other_admin" else personas.county
        elsewhere = personas.county if who == "other_admin" else personas.other_county
        county = home if in_scope or who not in ADMINS else elsewhere
        return Target(run=pairing_services.pairing_propose(actor=None, county=county))
    if route.target in ("child", "flag", "child_object"):
        if in_scope:
            village = IN_SCOPE.get(who)
            if village is None:
                return None
            child = LeftBehindChildFactory.create(village=getattr(personas, village))
        else:
            child = getattr(personas, OUT_OF_SCOPE.get(who, "child_a"))
        if route.target == "flag":
            return Target(flag=_flag_on(child))
        return Target(child=child)
    # Carers: registry staff see their county's carers; a carer sees only their own record.
    user: User | None = getattr(personas, who, None)
    if in_scope:
        if user is None or not user.role:
            return None
        own = user.carer if user.carer_id else None
        if own is not None:
            return Target(carer=own)
        home_county = "other" if who == "other_admin" else "own"
        return Target(carer=_carer_elsewhere(personas, county=home_county))
    if user is not None and user.carer_id:
        return Target(carer=_carer_elsewhere(personas, county="own"))
    away = "own" if who == "other_admin" else "other"
    return Target(carer=_carer_elsewhere(personas, county=away))


def _request(client: Client, personas: Personas, who: str, name: str, target: Target) -> int:
    if who != "anonymous":
        client.force_login(getattr(personas, who))
    route = MATRIX[name]
    url = reverse(qualified_names()[name], kwargs=route.kwargs(target))
    data = route.data(target) if callable(route.data) else route.data
    response = client.post(url, data) if route.method == "post" else client.get(url)
    client.logout()
    return response.status_code


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_page_answers_each_persona_in_and_out_of_scope(
    client: Client, personas: Personas, name: str
) -> None:
    """One test per page, every persona inside it, so the personas are built once per page.
    A change made by one persona's POST never changes the status another persona gets."""
    route = MATRIX[name]
    expected: dict[tuple[str, str], int] = {}
    got: dict[tuple[str, str], int] = {}
    for who in PERSONAS:
        for in_scope in (True, False):
            speaks_as = "outsider" if who in NETWORK and name not in NETWORK_PAGES else who
            want = (route.in_scope if in_scope else route.out_of_scope)(speaks_as)
            target = _target(personas, who, route, in_scope=in_scope)
            if target is None or want is None:
                continue
            key = (who, "in scope" if in_scope else "out of scope")
            expected[key] = want
            got[key] = _request(client, personas, who, name, target)
    assert {who for who, _ in expected} == set(PERSONAS), "every persona is tested on every page"
    assert got == expected


@pytest.mark.parametrize("name", sorted(n for n, r in MATRIX.items() if r.target == "child"))
def test_missing_child_is_the_same_404_as_out_of_scope(
    client: Client, personas: Personas, name: str
) -> None:
    client.force_login(personas.admin)
    route = MATRIX[name]
    kwargs = route.kwargs(Target(child=personas.child_a))
    kwargs["child_id"] = 987_654
    url = reverse(qualified_names()[name], kwargs=kwargs)
    data = route.data(Target(child=personas.child_a)) if callable(route.data) else route.data
    response = client.post(url, data) if route.method == "post" else client.get(url)
    assert response.status_code == 404
