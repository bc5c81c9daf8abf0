"""Daily care pages: log a contact from a phone, the due and overdue list, examinations and the
doctor's overdue list, screenings, health education sessions, the risk list, small wishes and
care events; and the care sections of a child's page.

Children come from the access layer; health and screening data only through daily care's
selectors (nothing for officers and volunteers); every write is one daily-care service, whose
errors are shown beside the fields they name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from care365.accounts.access import (
    areas_for_user,
    child_get_for_user,
    county_for_admin,
)
from care365.accounts.http import account
from care365.accounts.models import AccessPurpose, User
from care365.accounts.paginators import CappedPaginator
from care365.accounts.visibility import child_row
from care365.areas.models import Area
from care365.care import access, screening, selectors, services
from care365.care import forms as care_forms
from care365.care.models import Gift, PlanKind, Wish
from care365.care.selectors import pages as care_selectors
from care365.care.selectors.scope import care_settings_get
from care365.care.services import CareStateError
from care365.core import forms as core_forms
from care365.core.errors import StateConflictError
from care365.protection import selectors as protection_selectors
from care365.registry.models import Child

WISH_ACTIONS = ("claim", "release", "deliver", "confirm", "withdraw")
GIFT_ACTIONS = ("deliver", "not-delivered", "confirm")
DUE_AHEAD_DAYS = 7  # the due page shows what falls due in the next week too
EXAMS_AHEAD_DAYS = 30
HOME_ROWS = 8
LEARNING_ON_CHILD_PAGE = 10  # goals, activities and timeline entries; the learning page has all


def _child(
    user: User,
    child_id: int,
    route: str,
    *,
    allowed: Callable[[User, Child], bool] | None = None,
) -> Child:
    """The child through the access layer; a page the user may not use for this child is a
    refusal (403), written to the access log as one."""
    return child_get_for_user(
        user, child_id, AccessPurpose.VIEW, route=f"care:{route}", allowed=allowed
    )


def _logs_contacts(user: User, child: Child) -> bool:
    return bool(care_selectors.loggable_kinds(user, child))


def _screens(user: User, child: Child) -> bool:
    return child.is_active and access.may_screen(user, child)


def _to_child(child_id: int) -> HttpResponseRedirect:
    return redirect("registry:child-detail", child_id=child_id)


def _service_errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# --- the child's page ------------------------------------------------------------------------


def child_care_context(user: User, child: Child) -> dict[str, Any]:
    """The care sections of a child's page (children.py's detail view adds them)."""
    care = care_selectors.child_care(user, child, timezone.localdate())
    context: dict[str, Any] = {"care": care}
    context["learning"] = selectors.child_learning(user, child, limit=LEARNING_ON_CHILD_PAGE)
    if care.kinds:
        context["contact_form"] = care_forms.ContactLogForm(
            kinds=care.kinds, kind=care.kinds[0], auto_id="id_contact_%s"
        )
    return context


# --- contacts --------------------------------------------------------------------------------


@login_required
def contact_log(request: HttpRequest, child_id: int) -> HttpResponse:
    """Log a contact: the form is short so that it takes under a minute on a phone. The kind
    starts on the user's own (or the due list's row); nothing is saved unless all of it is."""
    user = account(request)
    child = _child(user, child_id, "care-contact-log", allowed=_logs_contacts)
    kinds = care_selectors.loggable_kinds(user, child)
    data = request.POST if request.method == "POST" else None
    wanted = (data or request.GET).get("kind")
    back = "due" if (data or request.GET).get("back") == "due" else "child"
    form = care_forms.ContactLogForm(
        data, kinds=kinds, kind=care_selectors.kind_for(kinds, wanted), auto_id="id_contact_%s"
    )
    if form.is_bound and form.is_valid():
        try:
            services.contact_log(actor=user, child=child, **form.values())
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The contact is logged. Thank you."))
            return redirect("care:care-due") if back == "due" else _to_child(child.pk)
    return render(
        request,
        "care/contact_log.html",
        {"form": form, "child": child_row(child, user), "back": back},
        status=400 if form.is_bound else 200,
    )


# --- due and overdue -------------------------------------------------------------------------


def _due_row(user: User, item: selectors.DueItem) -> dict[str, Any]:
    """One row of a due list, with the form it links to when the user can do it."""
    kind = str(item.kind)
    can_do = access.takes_planned_kind(user, kind)
    return {
        "child": child_row(item.child, user),
        "kind": kind,
        "due_on": item.due_on,
        "days_overdue": item.days_overdue,
        "overdue_days": max(item.days_overdue, 0),
        "due_in": max(-item.days_overdue, 0),
        "last_on": item.last_on,
        "tightened": item.tightened,
        "can_do": can_do,
        "is_exam": kind == PlanKind.EXAMINATION,
    }


def _due_page(request: HttpRequest, user: User, items: selectors.DueList) -> Page[Any]:
    """The requested page of due items as rows: the page is read from the database, and only
    its children are read in full. The items are counted up to `COUNT_CAP` (a county's list
    holds hundreds of thousands; the export has them all)."""
    paginator = CappedPaginator(items, settings.PAGE_SIZE * 2)
    page: Page[Any] = paginator.get_page(request.GET.get("page"))
    shown = selectors.due_for_display(user, list(page.object_list))
    page.object_list = [_due_row(user, item) for item in shown]
    return page


@login_required
def due_list(request: HttpRequest) -> HttpResponse:
    """Everything the user answers for that is due in the next week or overdue, most overdue
    first, each row linking to the form for that child and kind; and their open tasks."""
    user = account(request)
    items = selectors.due_list_for_user(user, timezone.localdate(), within_days=DUE_AHEAD_DAYS)
    page = _due_page(request, user, items)
    return render(
        request,
        "care/due.html",
        {
            "page": page,
            "overdue": items.overdue_capped_count(),
            "ahead": DUE_AHEAD_DAYS,
            "tasks": list(access.care_tasks_for_user(user)[:50]),
            "task_form": care_forms.TaskDoneForm(),
        },
    )


@login_required
@require_POST
def care_task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    user = account(request)
    task = access.task_get_for_user(user, task_id)
    form = care_forms.TaskDoneForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.care_task_done(actor=user, task=task, note=note)
    except CareStateError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        _service_errors(request, exc)
    else:
        messages.success(request, _("The task is done."))
    return redirect("care:care-due")


# --- health ----------------------------------------------------------------------------------


@login_required
def examinations_due(request: HttpRequest) -> HttpResponse:
    """The doctor's overdue examinations (and those due within a month); supervisors and county
    administrators see their area's."""
    user = account(request)
    if not access.sees_exam_list(user):
        raise PermissionDenied
    items = selectors.examinations_due_list(
        user, timezone.localdate(), within_days=EXAMS_AHEAD_DAYS
    )
    return render(
        request,
        "care/exams_due.html",
        {
            "page": _due_page(request, user, items),
            "ahead": EXAMS_AHEAD_DAYS,
        },
    )


@login_required
def examination_record(request: HttpRequest, child_id: int) -> HttpResponse:
    """The child's doctor enters an examination; the WHO z-scores are computed as it is saved."""
    user = account(request)
    child = _child(user, child_id, "care-exam-record", allowed=access.may_examine)
    consent = care_selectors.health_consent_help(user, child)
    form = care_forms.ExaminationForm(request.POST or None)
    # An implausible value is asked about before it is saved: the checkbox appears with it.
    confirm = form.is_bound and bool(request.POST.get("confirm_implausible"))
    if form.is_bound and form.is_valid():
        try:
            exam = services.examination_record(actor=user, child=child, **form.values())
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
            confirm = confirm or core_forms.has_error_code(exc, "implausible")
        else:
            if exam.growth_flags:
                messages.warning(
                    request,
                    _("Saved. A value looks implausible: please check the measurement."),
                )
            else:
                messages.success(request, _("The examination is saved."))
            return _to_child(child.pk)
    return render(
        request,
        "care/exam_form.html",
        {"form": form, "child": child_row(child, user), "consent": consent, "confirm": confirm},
        status=400 if form.is_bound else 200,
    )


def _area_children(
    request: HttpRequest, user: User, areas: QuerySet[Area]
) -> tuple[QuerySet[Child], Area | None, bool]:
    """The children a session or event form offers, and whether an area must be chosen first.

    A doctor's or a director's children are few: all of them. A supervisor's or a county
    administrator's are many: the children of the area they choose first (a village or a
    township), so the page never lists a whole county."""
    children = access.responsible_children(user)
    raw = (request.POST if request.method == "POST" else request.GET).get("area", "")
    area = areas.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 19 else None
    if access.picks_all_own_children(user):
        return children, area, False
    if area is None:
        return children.none(), None, True
    return children.filter(village__code__startswith=area.code), area, False


@login_required
def health_sessions(request: HttpRequest) -> HttpResponse:
    """Health education sessions: record one (topic, day, place, the township, village or
    school it was held for, the children present and a count of others, the materials used)
    and the list of those the user sees, each naming only the children the user may see."""
    user = account(request)
    if not access.records_health_sessions(user):
        raise PermissionDenied
    areas = access.health_session_areas_for_user(user)
    children, area, pick_area = _area_children(request, user, areas)
    form = care_forms.HealthSessionForm(
        request.POST or None,
        user=user,
        areas=areas,
        children=children,
        schools=selectors.session_schools(user),
        initial={"area": area},
    )
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            services.health_session_record(
                actor=user,
                topic=d["topic"],
                title=d.get("title") or "",
                held_on=d["held_on"],
                area=d["area"],
                school=d.get("school"),
                children=form.chosen_children(),
                other_attendees=d.get("other_attendees") or 0,
                materials=d.get("materials") or "",
                place=d.get("place") or "",
                notes=d.get("notes") or "",
            )
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The session is recorded."))
            return redirect("care:care-health-sessions")
    page: Page[Any] = Paginator(selectors.health_sessions_list(user), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = [
        {"row": row, "children": [child_row(c, user) for c in row.children]}
        for row in selectors.session_rows(user, page.object_list)
    ]
    return render(
        request,
        "care/health_sessions.html",
        {
            "form": form,
            "page": page,
            "pick_area": pick_area,
            "areas": areas,
            "area": area,
            "figures": access.sees_session_figures(user),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
def health_session_figures(request: HttpRequest) -> HttpResponse:
    """Health education in figures: sessions and attendance per township of the county (per
    village of a supervisor's township) over a period, the year so far unless chosen."""
    user = account(request)
    if not access.sees_session_figures(user):
        raise PermissionDenied
    today = timezone.localdate()
    form = care_forms.SessionFigureFilterForm(request.GET or None)
    since, until = today.replace(month=1, day=1), today
    status = 200
    if form.is_bound:
        if form.is_valid():
            since = form.cleaned_data.get("since") or since
            until = form.cleaned_data.get("until") or until
        else:
            status = 400
    if not form.is_bound:
        form = care_forms.SessionFigureFilterForm(initial={"since": since, "until": until})
    rows, total = selectors.health_session_figures(user, since=since, until=until)
    return render(
        request,
        "care/health_session_figures.html",
        {"form": form, "rows": rows, "total": total, "since": since, "until": until},
        status=status,
    )


# --- study help and interests ----------------------------------------------------------------


def _learning_page(
    request: HttpRequest,
    user: User,
    child: Child,
    *,
    status: int = 200,
    **forms_given: Any,
) -> HttpResponse:
    """The child's learning page: goals with their notes, interest activities and the
    timeline; for those who write them, the three forms (one of them bound after a refusal)."""
    learning = selectors.child_learning(user, child)
    assert learning is not None  # noqa: S101  # the door checked `sees_learning`
    context: dict[str, Any] = {"child": child_row(child, user), "learning": learning}
    if learning.may_write:
        context["goal_form"] = forms_given.get("goal_form") or care_forms.LearningGoalForm(
            auto_id="id_goal_%s"
        )
        context["note_form"] = forms_given.get("note_form") or care_forms.LearningNoteForm(
            goals=learning.goals, auto_id="id_note_%s"
        )
        context["interest_form"] = forms_given.get(
            "interest_form"
        ) or care_forms.InterestActivityForm(auto_id="id_interest_%s")
        context["open"] = next(iter(forms_given), "")
    return render(request, "care/learning.html", context, status=status)


def _learning_child(user: User, child_id: int, route: str, *, write: bool = False) -> Child:
    """The child through the access layer, for the child's team (a write: for those who write
    learning records); anyone else who sees the child is refused (403), logged as a refusal."""
    allowed = access.may_write_learning if write else access.sees_learning
    return _child(user, child_id, route, allowed=allowed)


@login_required
def child_learning(request: HttpRequest, child_id: int) -> HttpResponse:
    """A child's study help and interests: the learning goals with their progress notes, the
    interest activities, and one timeline of both."""
    user = account(request)
    child = _learning_child(user, child_id, "care-learning")
    return _learning_page(request, user, child)


@login_required
@require_POST
def learning_goal_set(request: HttpRequest, child_id: int) -> HttpResponse:
    user = account(request)
    child = _learning_child(user, child_id, "care-learning-goal", write=True)
    form = care_forms.LearningGoalForm(request.POST, auto_id="id_goal_%s")
    if form.is_valid():
        try:
            services.learning_goal_set(actor=user, child=child, **form.cleaned_data)
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The learning goal is set."))
            return redirect("care:care-learning", child_id=child.pk)
    return _learning_page(request, user, child, status=400, goal_form=form)


@login_required
@require_POST
def learning_note_add(request: HttpRequest, child_id: int) -> HttpResponse:
    user = account(request)
    child = _learning_child(user, child_id, "care-learning-note", write=True)
    goals = list(selectors.learning_goals_for_child(user, child))
    form = care_forms.LearningNoteForm(request.POST, goals=goals, auto_id="id_note_%s")
    if form.is_valid():
        d = form.cleaned_data
        goal = next(g for g in goals if g.pk == d["goal"])
        try:
            services.learning_note_add(
                actor=user,
                goal=goal,
                note=d["note"],
                noted_on=d["noted_on"],
                state=d.get("state") or "",
            )
        except CareStateError as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The progress note is saved."))
            return redirect("care:care-learning", child_id=child.pk)
    return _learning_page(request, user, child, status=400, note_form=form)


@login_required
@require_POST
def interest_activity_record(request: HttpRequest, child_id: int) -> HttpResponse:
    user = account(request)
    child = _learning_child(user, child_id, "care-learning-interest", write=True)
    form = care_forms.InterestActivityForm(request.POST, auto_id="id_interest_%s")
    if form.is_valid():
        try:
            services.interest_activity_record(actor=user, child=child, **form.cleaned_data)
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The activity is recorded."))
            return redirect("care:care-learning", child_id=child.pk)
    return _learning_page(request, user, child, status=400, interest_form=form)


# --- screenings ------------------------------------------------------------------------------


@login_required
def screening_record(request: HttpRequest, child_id: int) -> HttpResponse:
    """The child's doctor, or a director trained in screening, enters a completed form. A
    self-harm answer raises a protection alert at once; a positive screen refers to the doctor."""
    user = account(request)
    child = _child(user, child_id, "care-screening-record", allowed=_screens)
    age = child.age_on(timezone.localdate())
    suited = [form for form in screening.builtin_all().values() if form.suits_age(age)]
    consent = care_selectors.health_consent_help(user, child)
    code = (request.POST if request.method == "POST" else request.GET).get("instrument", "")
    instrument = next((f for f in suited if f.code == code), None)
    context: dict[str, Any] = {
        "child": child_row(child, user),
        "suited": suited,
        "consent": consent,
        "instrument": instrument,
        "language": get_language() or settings.LANGUAGE_CODE,
    }
    if instrument is None or not consent.holds:
        return render(request, "care/screening_form.html", context)
    form = care_forms.ScreeningForm(
        request.POST if request.method == "POST" else None,
        instrument=instrument,
        language=context["language"],
    )
    context["form"] = form
    if form.is_bound and form.is_valid():
        try:
            row = services.screening_record(
                actor=user,
                child=child,
                instrument=instrument.code,
                answers=form.answers(),
                supplementary=form.supplementary(),
                screened_on=form.cleaned_data["screened_on"],
            )
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            if row.alert_id is not None:
                messages.error(
                    request,
                    _(
                        "A self-harm answer: a protection alert is raised and the child's "
                        "officer and doctor are being told now."
                    ),
                )
            elif row.above_cutoff:
                messages.warning(
                    request, _("At or above the cut-off: the child's doctor has a referral task.")
                )
            else:
                messages.success(request, _("The screening is saved."))
            return _to_child(child.pk)
    return render(
        request,
        "care/screening_form.html",
        context,
        status=400 if form.is_bound else 200,
    )


# --- the risk list ---------------------------------------------------------------------------


@login_required
def risk_list(request: HttpRequest) -> HttpResponse:
    """The children of the user's area on the risk list, highest first, with their reasons."""
    user = account(request)
    if not access.keeps_care_records(user):
        raise PermissionDenied
    # Counted up to the cap: a county's list is a tenth of its children or more.
    page = CappedPaginator(selectors.risk_list(user), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [{"child": child_row(r.child, user), "risk": r} for r in page.object_list]
    return render(request, "care/risk.html", {"page": page, "rows": rows})


def risk_rows(user: User, *, limit: int) -> list[dict[str, Any]]:
    return [
        {"child": child_row(r.child, user), "risk": r} for r in selectors.risk_list(user)[:limit]
    ]


# --- wishes ----------------------------------------------------------------------------------


@login_required
def wish_post(request: HttpRequest, child_id: int) -> HttpResponse:
    """Post a child's small wish (the child's director, supervisor or volunteer)."""
    user = account(request)
    child = _child(user, child_id, "care-wish-post", allowed=access.may_post_wish)
    form = care_forms.WishForm(request.POST or None)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            services.wish_post(
                actor=user,
                child=child,
                what=d["what"],
                cost_yuan=d["cost_yuan"],
                note=d.get("note") or "",
            )
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The wish is on the board."))
            return _to_child(child.pk)
    return render(
        request,
        "care/wish_form.html",
        {"form": form, "child": child_row(child, user)},
        status=400 if form.is_bound else 200,
    )


@login_required
def wishes(request: HttpRequest) -> HttpResponse:
    """The county's wish board (a given name or initial, age and township only), the wishes the
    user claimed, and the wishes of the children the user cares for."""
    user = account(request)
    county = access.wish_board_county(user)
    cards = (
        selectors.wish_board(county=county, today=timezone.localdate())
        if county is not None
        else []
    )
    page = Paginator(cards, settings.PAGE_SIZE * 2).get_page(request.GET.get("page"))
    own = [
        {
            "wish": w,
            "child": child_row(w.child, user),
            "actions": access.wish_steps_allowed(user, w),
        }
        for w in selectors.wishes_for_user(user).exclude(state=Wish.State.WITHDRAWN)[:50]
    ]
    return render(
        request,
        "care/wishes.html",
        {
            "page": page,
            "claimed": list(selectors.wishes_claimed_by(user)),
            "own": own,
            "for_donor": access.keeps_care_records(user),
            "act_form": care_forms.WishActForm(),
        },
    )


@login_required
@require_POST
def wish_act(request: HttpRequest, wish_id: int, action: str) -> HttpResponse:
    """Claim, give back, deliver, confirm with the child, or withdraw a wish."""
    user = account(request)
    if action not in WISH_ACTIONS:
        raise PermissionDenied
    wish = access.wish_get_for_user(user, wish_id)
    form = care_forms.WishActForm(request.POST)
    d = form.cleaned_data if form.is_valid() else {"donor_name": "", "note": ""}
    try:
        if action == "claim":
            services.wish_claim(actor=user, wish=wish, donor_name=d.get("donor_name") or "")
        elif action == "release":
            services.wish_release(actor=user, wish=wish)
        elif action == "deliver":
            services.wish_deliver(actor=user, wish=wish)
        elif action == "confirm":
            services.wish_confirm(actor=user, wish=wish, note=d.get("note") or "")
        else:
            services.wish_withdraw(actor=user, wish=wish)
    except CareStateError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        _service_errors(request, exc)
    else:
        done = {
            "claim": _("The wish is yours: thank you."),
            "release": _("The wish is back on the board."),
            "deliver": _("Marked as delivered."),
            "confirm": _("Confirmed with the child."),
            "withdraw": _("The wish is withdrawn."),
        }
        messages.success(request, done[action])
    if request.POST.get("back") == "child":
        return _to_child(wish.child_id)
    return redirect("care:care-wishes")


# --- care events -----------------------------------------------------------------------------


@login_required
def care_events(request: HttpRequest) -> HttpResponse:
    """Events such as the Children's Day gifts: who came, what was given. Directors, supervisors
    and county administrators record them for their area."""
    user = account(request)
    keeper = access.keeps_care_records(user)
    if request.method == "POST" and not keeper:
        raise PermissionDenied
    form = None
    areas = areas_for_user(user)
    area, pick_area = None, False
    if keeper:
        children, area, pick_area = _area_children(request, user, areas)
        form = care_forms.CareEventForm(
            request.POST or None,
            user=user,
            areas=areas,
            children=children,
            initial={"area": area},
        )
        if form.is_bound and form.is_valid():
            d = form.cleaned_data
            try:
                services.care_event_record(
                    actor=user,
                    kind=d["kind"],
                    title=d["title"],
                    held_on=d["held_on"],
                    area=d["area"],
                    children=form.chosen_children(),
                    given=d.get("given") or "",
                    place=d.get("place") or "",
                    notes=d.get("notes") or "",
                )
            except ValidationError as exc:
                core_forms.add_service_errors(form, exc)
            else:
                messages.success(request, _("The event is recorded."))
                return redirect("care:care-events")
    events = (
        selectors.care_events_for_user(user)
        .prefetch_related("children")
        .select_related("area")[:50]
    )
    return render(
        request,
        "care/events.html",
        {"form": form, "events": events, "pick_area": pick_area, "areas": areas, "area": area},
        status=400 if form is not None and form.is_bound else 200,
    )


# --- gifts ------------------------------------------------------------------------------------


def _gift_rows(user: User, gifts: Any) -> list[dict[str, Any]]:
    """Each gift with its child as the user's role may see it (a volunteer: the given name)
    and the steps the user may take on it."""
    return [
        {
            "gift": g,
            "child": child_row(g.child, user),
            "actions": access.gift_steps_allowed(user, g),
        }
        for g in gifts
    ]


@login_required
def gifts(request: HttpRequest) -> HttpResponse:
    """Gifts still to deliver or to confirm with the children the user cares for (a volunteer:
    their paired children), with a button for each step, for a phone; and the Children's Day
    and festival events whose gifts the user plans or delivers."""
    user = account(request)
    page = Paginator(selectors.gifts_to_deliver(user), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "care/gifts.html",
        {
            "page": page,
            "rows": _gift_rows(user, page.object_list),
            "events": list(access.gift_events_for_user(user).order_by("-held_on", "-pk")[:20]),
            "donors": access.thanks_donors(user),
            "act_form": care_forms.GiftActForm(),
        },
    )


def _gift_plan_areas(user: User, event: Any) -> QuerySet[Area]:
    """The townships and villages of both the user's area and the event's, to plan for."""
    return (
        areas_for_user(user)
        .filter(code__startswith=event.area.code)
        .exclude(level=Area.Level.COUNTY)
        .order_by("code")
    )


@login_required
def event_gifts(request: HttpRequest, event_id: int) -> HttpResponse:
    """An event's gifts, child by child, with who gave and where each stands; for the
    registry's keepers the form that plans a gift for every child of a township or village, or
    for the children ticked. A supervisor or a county administrator picks the area first; a
    director plans for their own village's children straight away."""
    user = account(request)
    event = access.care_event_get_for_user(user, event_id)
    planner = access.plans_gifts(user)
    if request.method == "POST" and not planner:
        raise PermissionDenied
    form = None
    area, pick_area, areas = None, False, areas_for_user(user).none()
    if planner:
        areas = _gift_plan_areas(user, event)
        raw = (request.POST if request.method == "POST" else request.GET).get("area", "")
        area = areas.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 19 else None
        if area is None and len(areas) == 1:
            area = areas[0]
        pick_area = area is None
        if area is not None:
            children = access.gift_children_for_user(user, event).filter(
                village__code__startswith=area.code
            )
            form = care_forms.GiftPlanForm(
                request.POST or None,
                user=user,
                donors=access.donors_for_user(user),
                children=children.exclude(gifts__event=event),
                area_name=area.name,
            )
            if form.is_bound and form.is_valid():
                d = form.cleaned_data
                try:
                    result = services.gift_plan(
                        actor=user,
                        event=event,
                        children=form.chosen_children(),
                        what=d["what"],
                        value_yuan=d.get("value_yuan"),
                        donor=d.get("donor"),
                    )
                except ValidationError as exc:
                    core_forms.add_service_errors(form, exc)
                else:
                    messages.success(
                        request,
                        _("Gifts planned: %(n)d.") % {"n": len(result.planned)}
                        + (
                            " "
                            + _("%(n)d already had a gift at this event.") % {"n": result.already}
                            if result.already
                            else ""
                        ),
                    )
                    return redirect("care:care-event-gifts", event_id=event.pk)
    state = request.GET.get("state", "")
    if state not in Gift.State.values:
        state = ""
    page = Paginator(selectors.gifts_of_event(user, event, state=state), settings.PAGE_SIZE)
    current = page.get_page(request.GET.get("page"))
    return render(
        request,
        "care/event_gifts.html",
        {
            "event": event,
            "form": form,
            "pick_area": pick_area and planner,
            "areas": areas,
            "area": area,
            "page": current,
            "rows": _gift_rows(user, current.object_list),
            "state": state,
            "states": Gift.State.choices,
            "act_form": care_forms.GiftActForm(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def gift_act(request: HttpRequest, gift_id: int, action: str) -> HttpResponse:
    """Mark a gift delivered, not delivered (with why), or confirmed with the child."""
    user = account(request)
    if action not in GIFT_ACTIONS:
        raise PermissionDenied
    gift = access.gift_get_for_user(user, gift_id, route="care:care-gift-act")
    form = care_forms.GiftActForm(request.POST)
    d = form.cleaned_data if form.is_valid() else {"note": "", "reason": ""}
    try:
        if action == "deliver":
            services.gift_deliver(actor=user, gift=gift)
        elif action == "confirm":
            services.gift_confirm(actor=user, gift=gift, note=d.get("note") or "")
        else:
            services.gift_not_delivered(actor=user, gift=gift, reason=d.get("reason") or "")
    except StateConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        _service_errors(request, exc)
    else:
        done = {
            "deliver": _("Marked as delivered."),
            "confirm": _("Confirmed with the child."),
            "not-delivered": _("Marked as not delivered."),
        }
        messages.success(request, done[action])
    if request.POST.get("back") == "event":
        return redirect("care:care-event-gifts", event_id=gift.event_id)
    return redirect("care:care-gifts")


@login_required
def donors(request: HttpRequest) -> HttpResponse:
    """The organisations that gave the county's children gifts, for its administrator."""
    user = account(request)
    county = county_for_admin(user)
    if county is None:
        raise PermissionDenied
    return render(
        request,
        "care/donors.html",
        {"donors": list(selectors.donors_with_gifts(county)[:200]), "county": county},
    )


@login_required
def donor_totals(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """A donor's totals for the county's children: gifts, value, delivered and confirmed, by
    event, county and township; no child, and "<5" for a small cell. The county administrator
    sends the donor its thanks from here."""
    user = account(request)
    county = county_for_admin(user)
    if county is None:
        raise PermissionDenied
    organisation = access.donor_get_for_admin(user, organisation_id)
    totals = selectors.donor_totals(organisation, county=county)
    return render(
        request,
        "care/donor_totals.html",
        {"totals": totals, "shown": totals.as_dict(), "county": county},
    )


@login_required
@require_POST
def donor_thank(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """Send the donor its thanks with its totals, by email through the outbox."""
    user = account(request)
    if county_for_admin(user) is None:
        raise PermissionDenied
    organisation = access.donor_get_for_admin(user, organisation_id)
    try:
        queued = services.donor_thank(actor=user, organisation=organisation)
    except ValidationError as exc:
        _service_errors(request, exc)
    else:
        if queued:
            messages.success(
                request,
                _("The thanks is on its way to %(email)s.") % {"email": organisation.contact_email},
            )
        else:
            messages.info(request, _("The thanks was sent already."))
    return redirect("care:care-donor-totals", organisation_id=organisation.pk)


# --- the home pages --------------------------------------------------------------------------

HOME_AHEAD_DAYS = 2  # as the daily digest: overdue, today, and the next two days


def home_care(user: User, *, due: tuple[int, int] | None = None) -> dict[str, Any]:
    """The care sections of the user's home page: what is due and overdue, their tasks and the
    risk list's top (directors, supervisors, administrators).

    `due` (items due, of which overdue) are given for a whole area's overseers, read from the
    insights' roll-ups: their home then counts what is due rather than working out every
    child's plan (the due list has the rows); their 365 figure is on the same page, from the
    roll-ups too."""
    today = timezone.localdate()
    follow_ups = protection_selectors.follow_ups_for_user(user)
    if due is None:
        items = selectors.due_list_for_user(user, today, within_days=HOME_AHEAD_DAYS)
        rows: list[dict[str, Any]] | None = [
            _due_row(user, item) for item in selectors.due_for_display(user, items[:HOME_ROWS])
        ]
        due = (items.count(), items.overdue_count())
    else:
        rows = None
    care: dict[str, Any] = {
        "due": rows,
        "due_total": due[0],
        "overdue": due[1],
        "tasks": list(access.care_tasks_for_user(user)[:10]),
        # The follow-ups of mandatory reports (protection) are the user's tasks too: listed
        # with the care tasks, and counted with them.
        "follow_ups": [
            {"task": task, "child": child_row(task.child, user)} for task in follow_ups[:10]
        ],
        "task_count": access.care_tasks_for_user(user).count() + follow_ups.count(),
        "exams": access.sees_exam_list(user),
        "sessions": access.records_health_sessions(user),
        "keeper": access.keeps_care_records(user),
    }
    if access.keeps_care_records(user):
        care["risk"] = risk_rows(user, limit=5)
    return care


# Said while a worker rewrites the county's next-due dates for its new intervals.
PLANS_REWRITING = _lazy(
    "The due lists are being worked out again for the new intervals: they follow them within "
    "a few minutes."
)
# The same, for whatever change marked the county (new intervals, a pairing run approved).
PLANS_CATCHING_UP = _lazy(
    "The due lists are being worked out again after the latest change: they follow it within "
    "a few minutes."
)


@login_required
def care_settings(request: HttpRequest) -> HttpResponse:
    """The county's visit intervals and risk list, changed by its county administrator."""
    user = account(request)
    county = county_for_admin(user)
    if county is None:
        raise PermissionDenied
    current = care_settings_get(county.pk)
    form = care_forms.CareSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.care_settings_update(
                actor=user, county=county, values=form.cleaned_data
            )
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The visit plan is saved."))
            if saved.plans_stale_since is not None:
                messages.info(request, PLANS_REWRITING)
            return redirect("care:care-settings")
    lead = _(
        "How often each kind of contact is due, how much sooner for children on the risk "
        "list, and from which score a child is on it."
    )
    if current.plans_stale_since is not None:
        # Two sentences, joined as the language joins them (Chinese: without a space).
        lead = pgettext("two sentences", "%(first)s %(second)s") % {
            "first": lead,
            "second": PLANS_CATCHING_UP,
        }
    context = {
        "form": form,
        "title": _("Visit plan") + " · " + county.name,
        "lead": lead,
        "submit": _("Save"),
        "cancel": reverse("web:county"),
    }
    return render(request, "web/form_page.html", context, status=400 if form.errors else 200)
