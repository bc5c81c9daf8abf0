"""Reads for the public report page (the area tree, public knowledge) and for the staff's
lists of reports, always from the access layer (`network.access`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.utils import timezone

from care365.accounts.access import child_visible, children_for_user
from care365.accounts.models import User
from care365.accounts.visibility import given_name
from care365.areas.models import Area
from care365.network.access import (
    conference_actions_overdue_for_user,
    conference_actions_owned,
    conference_sight,
    conferences_for_user,
    conferences_of_area,
    mandatory_reports_for_user,
    referrals_for_user,
    referrals_overdue_for_user,
    registration_tasks_for_user,
    sees_reporter,
    webhook_deliveries_for_staff,
    works_for_organisation,
)
from care365.network.models import (
    CaseConference,
    ConferenceAction,
    ConferenceAttendee,
    MandatoryReport,
    Referral,
    RegistrationTask,
)
from care365.network.services import STATUS_OF_STATE
from care365.protection.models import Notification
from care365.registry.models import Child

LIST_MAX = 200
# The report's encrypted fields (the list leaves them unread).
ENCRYPTED = ("reporter_name", "reporter_phone", "child_name", "child_where", "what_seen")
# A referral's encrypted fields (lists show the state and dates only).
REFERRAL_ENCRYPTED = ("reason", "decline_reason", "what_done", "outcome")


@dataclass(frozen=True)
class Places:
    """The choices of the report page's place: the counties; once a county is chosen, its
    townships and its villages grouped by township; what is preselected."""

    counties: list[tuple[int, str]]
    townships: list[tuple[int, str]]
    villages: list[tuple[str, list[tuple[int, str]]]]
    village_parent: dict[int, int]
    county: Area | None
    township: Area | None
    village: Area | None


def report_places(*, area_id: str | int | None, county_id: str | int | None) -> Places:
    """What the public page offers to choose from. `area_id` (the poster's parameter) is a
    village, township or county to preselect; `county_id` the county chosen on the page. An
    installation of one county starts in it."""
    counties = list(Area.objects.filter(level=Area.Level.COUNTY).order_by("code"))
    chosen: Area | None = None
    for raw in (area_id, county_id):
        try:
            pk = int(str(raw))
        except (TypeError, ValueError):
            continue
        chosen = Area.objects.select_related("parent", "parent__parent").filter(pk=pk).first()
        if chosen is not None:
            break
    village = chosen if chosen is not None and chosen.level == Area.Level.VILLAGE else None
    township = village.parent if village is not None else None
    if chosen is not None and chosen.level == Area.Level.TOWNSHIP:
        township = chosen
    county = township.parent if township is not None else None
    if chosen is not None and chosen.level == Area.Level.COUNTY:
        county = chosen
    if county is None and len(counties) == 1:
        county = counties[0]
    townships: list[Area] = []
    villages: list[tuple[str, list[tuple[int, str]]]] = []
    parent: dict[int, int] = {}
    if county is not None:
        townships = list(
            Area.objects.filter(level=Area.Level.TOWNSHIP, parent=county).order_by("code")
        )
        by_township: dict[int, list[tuple[int, str]]] = {t.pk: [] for t in townships}
        for v in Area.objects.filter(level=Area.Level.VILLAGE, parent__parent=county).order_by(
            "code"
        ):
            if v.parent_id in by_township:
                by_township[v.parent_id].append((v.pk, v.name))
                parent[v.pk] = v.parent_id
        villages = [(t.name, by_township[t.pk]) for t in townships if by_township[t.pk]]
    return Places(
        counties=[(c.pk, c.name) for c in counties],
        townships=[(t.pk, t.name) for t in townships],
        villages=villages,
        village_parent=parent,
        county=county,
        township=township,
        village=village,
    )


@dataclass(frozen=True)
class ReportRow:
    """A report as the viewer may see it: never who reported, except to the county's
    administrators (`reporter`); the registered child only to those who see the child."""

    report: MandatoryReport
    status: str
    child_visible: bool
    reporter: bool
    task: RegistrationTask | None
    child_name: str = ""  # the registered child's name, when visible


def report_status(report: MandatoryReport) -> str:
    return STATUS_OF_STATE.get(report.alert.state, "received")


def report_row(
    user: User, report: MandatoryReport, *, visible: dict[int, str] | None = None
) -> ReportRow:
    """`visible`: the names of the reports' children the user may see, by id, read once for a
    list (whose rows do not load the children)."""
    task = getattr(report, "registration_task", None) if _has_task(report) else None
    name = ""
    if report.child_id is None:
        sees_child = False
    elif visible is not None:
        sees_child = report.child_id in visible
        name = visible.get(report.child_id, "")
    else:
        sees_child = report.child is not None and child_visible(user, report.child)
        name = report.child.name if sees_child and report.child is not None else ""
    return ReportRow(
        report=report,
        status=report_status(report),
        child_visible=sees_child,
        reporter=sees_reporter(user, report),
        task=task,
        child_name=name,
    )


def _rows(user: User, reports: list[MandatoryReport]) -> list[ReportRow]:
    """Rows of a list: which of their children the user may see is one query, not one a row."""
    ids = {r.child_id for r in reports if r.child_id is not None}
    visible = (
        dict(children_for_user(user).filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    )
    return [report_row(user, r, visible=visible) for r in reports]


def _has_task(report: MandatoryReport) -> bool:
    try:
        return report.registration_task is not None
    except RegistrationTask.DoesNotExist:
        return False


def reports_for_list(user: User) -> list[ReportRow]:
    """The newest reports the user may see, with their alert's state and task (fixed query
    count: one for the reports, with their rows joined, one for the names of the children the
    viewer sees). The list shows none of the encrypted fields, and no child is loaded, so
    nothing is decrypted."""
    reports: QuerySet[MandatoryReport] = (
        mandatory_reports_for_user(user)
        .select_related("village", "village__parent", "alert", "registration_task")
        .defer(*ENCRYPTED)
    )
    return _rows(user, list(reports[:LIST_MAX]))


def open_registration_tasks(user: User) -> QuerySet[RegistrationTask]:
    return (
        registration_tasks_for_user(user)
        .filter(state=RegistrationTask.State.OPEN)
        .select_related("village", "report")
    )


def report_rows_page(user: User, *, offset: int, limit: int) -> list[ReportRow]:
    """A page of the reports the user may see, newest first (the API's list)."""
    reports = mandatory_reports_for_user(user).select_related(
        "village", "village__parent", "alert", "registration_task"
    )
    return _rows(user, list(reports[offset : offset + limit]))


def reports_count(user: User) -> int:
    return mandatory_reports_for_user(user).count()


def referrals_of_child(user: User, child: Child) -> list[Referral]:
    """The referrals of a child the user sees (the child page's section), newest first; the
    child was read through the access layer by the page."""
    return list(
        referrals_for_user(user)
        .filter(child=child)
        .select_related("organisation", "referred_by")
        .order_by("-created_at", "-pk")[:LIST_MAX]
    )


def referral_list(user: User) -> QuerySet[Referral]:
    """The referrals the user sees, newest first, for a page of the list: the encrypted text
    left unread."""
    return (
        referrals_for_user(user)
        .select_related("organisation", "child__village")
        .defer(*REFERRAL_ENCRYPTED)
        .order_by("-created_at", "-pk")
    )


def referrals_overdue(user: User, today: date) -> QuerySet[Referral]:
    """Past due and not done, of the registry keeper's area, most overdue first."""
    return (
        referrals_overdue_for_user(user, today)
        .select_related("organisation", "child__village", "referred_by")
        .defer(*REFERRAL_ENCRYPTED)
        .order_by("due_on", "pk")
    )


# What a referral carries for an organisation's staff (docs/network.md, "What a referral
# carries"): built here and nowhere else, from these fields only. The inbox (`StaffReferralRow`)
# shows no child at all; a referral's page (`StaffReferral`) shows the child's given name, age,
# sex, village and township, read through `referral_get_for_user` (which logs it).


@dataclass(frozen=True)
class StaffReferralRow:
    """One referral of the organisation's inbox: nothing of the child but the village where
    the service is wanted."""

    id: int
    service: str
    state: str
    state_label: str
    village: str
    township: str
    referred_on: date
    due_on: date
    overdue: bool


@dataclass(frozen=True)
class StaffReferral:
    """One referral as its organisation's staff see it."""

    id: int
    organisation: str
    service: str
    reason: str
    state: str
    state_label: str
    overdue: bool
    referred_at: datetime
    due_on: date
    answered_at: datetime | None
    decline_reason: str
    done_at: datetime | None
    what_done: str
    outcome: str
    child_given_name: str
    child_age: int
    child_sex: str
    child_sex_label: str
    village: str
    township: str
    referrer_name: str
    referrer_role: str
    referrer_phone: str


def _overdue(referral: Referral, today: date) -> bool:
    return referral.state in Referral.OPEN_STATES and referral.due_on < today


def staff_referrals(user: User) -> QuerySet[Referral]:
    """The organisation's referrals for its staff, open ones first (the most overdue first),
    then the answered ones, newest first; none for anyone else. Rows for `staff_referral_row`
    (the village and township are read with them, the encrypted text is not)."""
    rows = referrals_for_user(user) if works_for_organisation(user) else Referral.objects.none()
    return (
        rows.select_related("child__village", "child__village__parent")
        .only(
            "pk", "service", "state", "created_at", "due_on",
            "child__village__name", "child__village__parent__name",
        )
        .annotate(
            closed=Case(
                When(state__in=Referral.OPEN_STATES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("closed", "due_on", "-created_at", "-pk")
    )  # fmt: skip


def staff_referrals_overdue_count(user: User, today: date) -> int:
    """How many of the organisation's referrals are past their due date and not done."""
    if not works_for_organisation(user):
        return 0
    return referrals_for_user(user).filter(state__in=Referral.OPEN_STATES, due_on__lt=today).count()


def staff_referral_row(referral: Referral, today: date) -> StaffReferralRow:
    """One line of the inbox, from a row of `staff_referrals`."""
    village = referral.child.village
    return StaffReferralRow(
        id=referral.pk,
        service=referral.service,
        state=referral.state,
        state_label=str(referral.get_state_display()),
        village=village.name,
        township=village.parent.name if village.parent else "",
        referred_on=timezone.localdate(referral.created_at),
        due_on=referral.due_on,
        overdue=_overdue(referral, today),
    )


def staff_referral_view(referral: Referral, today: date) -> StaffReferral:
    """A referral (read through `referral_get_for_user`, which logged it) as its organisation's
    staff see it: never the child's full name, ID number, birth date, address, family or phones,
    health, screening, statuses or alerts."""
    child = referral.child
    village = child.village
    referrer = referral.referred_by
    phone = referral.referrer_phone
    if not phone and referrer.carer is not None:
        phone = referrer.carer.phone
    return StaffReferral(
        id=referral.pk,
        organisation=referral.organisation.name,
        service=referral.service,
        reason=referral.reason,
        state=referral.state,
        state_label=str(referral.get_state_display()),
        overdue=_overdue(referral, today),
        referred_at=referral.created_at,
        due_on=referral.due_on,
        answered_at=referral.answered_at,
        decline_reason=referral.decline_reason,
        done_at=referral.done_at,
        what_done=referral.what_done,
        outcome=referral.outcome,
        child_given_name=given_name(child.name),
        child_age=child.age_on(today),
        child_sex=child.sex,
        child_sex_label=str(child.get_sex_display()),
        village=village.name,
        township=village.parent.name if village.parent else "",
        referrer_name=referrer.display_name,
        referrer_role=str(referrer.get_role_display()) if referrer.role else "",
        referrer_phone=phone,
    )


def staff_webhook_delivery_list(user: User, *, state: str = "") -> QuerySet[Notification]:
    """The webhook deliveries to the organisation's own endpoints, newest first (a delivery
    carries nothing of a child); `state` narrows."""
    rows = webhook_deliveries_for_staff(user)
    if state:
        rows = rows.filter(state=state)
    return rows.select_related("webhook").order_by("-created_at", "-pk")


# Case conferences (联席会议; docs/network.md). Lists show dates, states and places only: the
# encrypted text is left unread.
CONFERENCE_ENCRYPTED = ("reason", "summary", "decisions")


@dataclass(frozen=True)
class ConferenceView:
    """A conference as the viewer may see it (`network.access.conference_sight`): "full"
    (registry staff), "team" (the paired officer and doctor: no reason nor discussion), "own"
    (an action's owner: the date and their own actions)."""

    conference: CaseConference
    sight: str
    attendees: list[ConferenceAttendee]
    actions: list[ConferenceAction]

    @property
    def full(self) -> bool:
        return self.sight == "full"

    @property
    def team(self) -> bool:
        return self.sight in ("full", "team")


def conference_view(user: User, conference: CaseConference) -> ConferenceView:
    """The conference's page or API answer, cut to what the viewer may see; the conference
    was read through the access layer."""
    sight = conference_sight(user, conference)
    actions = conference.actions.select_related(
        "owner", "owner__carer", "owner__area", "organisation", "done_by"
    ).order_by("due_on", "pk")
    if sight not in ("full", "team"):
        actions = actions.filter(owner=user)
    attendees: list[ConferenceAttendee] = []
    if sight in ("full", "team"):
        attendees = list(
            conference.attendees.select_related(
                "user", "user__carer", "user__area", "organisation"
            ).order_by("pk")
        )
    return ConferenceView(
        conference=conference, sight=sight, attendees=attendees, actions=list(actions)
    )


def conference_views_of_area(user: User, *, offset: int, limit: int) -> list[ConferenceView]:
    """A page of a convener's area's conferences, newest first, each as the convener sees it:
    whole, since the area holds the child (a fixed number of queries: the conferences, their
    attendees and their actions)."""
    rows = (
        conferences_of_area(user)
        .select_related("child", "convened_by")
        .prefetch_related(
            Prefetch(
                "attendees",
                ConferenceAttendee.objects.select_related(
                    "user", "user__carer", "user__area", "organisation"
                ).order_by("pk"),
            ),
            Prefetch("actions", ConferenceAction.objects.order_by("due_on", "pk")),
        )
        .order_by("-held_on", "-pk")[offset : offset + limit]
    )
    return [
        ConferenceView(
            conference=c,
            sight="full",
            attendees=list(c.attendees.all()),
            actions=list(c.actions.all()),
        )
        for c in rows
    ]


def conferences_of_child(user: User, child: Child) -> list[CaseConference]:
    """The conferences of a child the user sees (the child page's section), newest first; the
    child was read through the access layer by the page."""
    return list(
        conferences_for_user(user)
        .filter(child=child)
        .defer(*CONFERENCE_ENCRYPTED)
        .order_by("-held_on", "-pk")[:LIST_MAX]
    )


def conference_list(user: User) -> QuerySet[CaseConference]:
    """The conferences of the children of a convener's area, newest first, for a page of the
    list: the encrypted text left unread."""
    return (
        conferences_of_area(user)
        .select_related("child", "child__village")
        .defer(*CONFERENCE_ENCRYPTED)
        .order_by("-held_on", "-pk")
    )


def conference_actions_mine(user: User) -> list[ConferenceAction]:
    """The actions the user owns, open ones first, soonest due first."""
    return list(
        conference_actions_owned(user)
        .select_related("conference", "organisation")
        .order_by("state", "due_on", "pk")[:LIST_MAX]
    )


def conference_actions_overdue(user: User, today: date) -> QuerySet[ConferenceAction]:
    """Open actions past due of a convener's area, most overdue first, for a page of them."""
    return (
        conference_actions_overdue_for_user(user, today)
        .select_related(
            "conference", "conference__child__village", "owner", "owner__carer", "owner__area"
        )
        .defer("what", "note", *(f"conference__{f}" for f in CONFERENCE_ENCRYPTED))
        .order_by("due_on", "pk")
    )
