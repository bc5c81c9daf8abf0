"""Open mandatory reporting pages (docs/network.md).

Public, without signing in: the report page (`/report/`, an area preselected by the poster's
`?area=<id>`: an area is not a child), the receipt shown after it, and the status look-up.
For staff: the printable QR poster of a village or county, the list of reports and a report's
page (the reporter only for the county's administrators), and closing a registration task.

No child's name or number is ever in an address here, and nothing the reporter typed is logged.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from care365.accounts.access import child_get_for_user, child_visible
from care365.accounts.http import account, service_errors
from care365.accounts.models import AccessPurpose, User
from care365.accounts.throttle import client_ip
from care365.core import forms as core_forms
from care365.core.errors import StateConflictError
from care365.network import access, selectors, services
from care365.network.forms import (
    ActionDoneForm,
    ActionForm,
    AttendeeForm,
    ConferenceEditForm,
    ConferenceForm,
    ConferenceHoldForm,
    LookupForm,
    ReferralDeclineForm,
    ReferralDoneForm,
    ReferralForm,
    ReportForm,
    TaskDoneForm,
)
from care365.network.models import Referral
from care365.registry.models import Child


def _report_form(request: HttpRequest, data: Any = None) -> tuple[ReportForm, selectors.Places]:
    source = request.POST if data is not None else request.GET
    places = selectors.report_places(
        area_id=request.GET.get("area") if data is None else source.get("village"),
        county_id=source.get("county"),
    )
    initial = {
        "county": places.county.pk if places.county else "",
        "township": places.township.pk if places.township else "",
        "village": places.village.pk if places.village else "",
    }
    form = ReportForm(
        data,
        initial=initial,
        counties=places.counties,
        townships=places.townships,
        villages=places.villages,
    )
    return form, places


@csrf_exempt
@never_cache
def report_page(request: HttpRequest) -> HttpResponse:
    """The public report page: anyone who finds a child harmed or in danger reports it here.

    Exempt from Django's CSRF check, as the family's help page is: the form carries no cookie's
    authority (the reporter gives their own name and phone, nothing is signed in), so a forged
    post could do nothing a direct one cannot, while the check would refuse a phone that blocks
    cookies. Abuse is held by the service's rate limits instead."""
    if request.method != "POST":
        form, places = _report_form(request)
        return render(request, "network/report.html", {"form": form, "places": places})
    form, places = _report_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            report = services.mandatory_report_submit(
                village_id=data["village"] or None,
                reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"],
                reporter_role=data["reporter_role"],
                child_name=data["child_name"],
                child_age=data["child_age"],
                child_where=data["child_where"],
                situation=data["situation"],
                what_seen=data["what_seen"],
                client_ip=client_ip(request),
            )
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            # The receipt is shown on this answer, never put in an address.
            return render(request, "network/report_sent.html", {"receipt": report.receipt})
    return render(request, "network/report.html", {"form": form, "places": places}, status=400)


@csrf_exempt
@never_cache
def report_status(request: HttpRequest) -> HttpResponse:
    """The reporter's look-up: receipt number and the phone given with it show the status and
    nothing else (exempt from the CSRF check for the report page's reason)."""
    form = LookupForm(request.POST or None)
    status = ""
    looked = False
    code = 200
    if request.method == "POST" and form.is_valid():
        try:
            status = services.receipt_lookup(
                receipt=form.cleaned_data["receipt"],
                phone=form.cleaned_data["phone"],
                client_ip=client_ip(request),
            )
            looked = True
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
            code = 429
    elif request.method == "POST":
        code = 400
    return render(
        request,
        "network/report_status.html",
        {"form": form, "status": status, "looked": looked},
        status=code,
    )


def _qr_svg(url: str) -> str:
    import segno

    return str(segno.make(url, error="m").svg_inline(scale=8, border=2, dark="#111"))


@login_required
def report_poster(request: HttpRequest, area_id: int) -> HttpResponse:
    """A printable poster for a village's or county's walls: a QR code of the public report
    page with the area preselected (by its id: an area is not a child)."""
    user = account(request)
    area = access.poster_area_get_for_user(user, area_id)
    url = request.build_absolute_uri(reverse("network:report-page")) + f"?area={area.pk}"
    return render(request, "network/poster.html", {"area": area, "url": url, "qr": _qr_svg(url)})


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    user = account(request)
    if not access.reads_mandatory_reports(user):
        raise PermissionDenied
    return render(
        request,
        "network/report_list.html",
        {
            "rows": selectors.reports_for_list(user),
            "tasks": list(selectors.open_registration_tasks(user)[:50]),
            "poster_area": access.own_poster_area(user),
        },
    )


@login_required
def report_detail(request: HttpRequest, mandatory_report_id: int) -> HttpResponse:
    user = account(request)
    report = access.mandatory_report_get_for_user(
        user, mandatory_report_id, route="network:mandatory-report-detail"
    )
    row = selectors.report_row(user, report)
    return render(
        request,
        "network/report_detail.html",
        {"row": row, "report": report, "task_form": TaskDoneForm()},
    )


@login_required
@require_POST
def registration_task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    user = account(request)
    task = access.registration_task_get_for_user(user, task_id)
    form = TaskDoneForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.registration_task_done(actor=user, task=task, note=note)
    except StateConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        service_errors(request, exc)
    else:
        messages.success(request, _("The task is done."))
    return redirect("network:mandatory-report-detail", mandatory_report_id=task.report_id)


# Referrals (转介; docs/network.md).
STEPS = ("accept", "decline", "done")
# The overdue referrals shown above the list; the rest are a click away (`?overdue=1`).
OVERDUE_SHOWN = 10


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    """The referrals of the children the user sees, newest first, a page at a time, with the
    first overdue ones of a registry keeper's area above them; `?overdue=1`: every overdue
    one, most overdue first, a page at a time."""
    user = account(request)
    if access.works_for_organisation(user):
        return redirect("network:staff-referral-list")  # their organisation's inbox
    if not access.reads_referrals(user):
        raise PermissionDenied
    today = timezone.localdate()
    overdue = selectors.referrals_overdue(user, today)
    only_overdue = request.GET.get("overdue") in ("1", "true")
    rows = overdue if only_overdue else selectors.referral_list(user)
    page = Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    first_overdue = [] if only_overdue else list(overdue[:OVERDUE_SHOWN])
    context = {
        "overdue": first_overdue,
        # Counted only when the first ones do not fit the card.
        "overdue_count": overdue.count() if len(first_overdue) == OVERDUE_SHOWN else None,
        "only_overdue": only_overdue,
        "page": page,
        "today": today,
    }
    return render(request, "network/referral_list.html", context)


@login_required
def referral_add(request: HttpRequest, child_id: int) -> HttpResponse:
    """Refer a child the user may refer (registry staff of the area, a paired carer)."""
    user = account(request)
    child = child_get_for_user(
        user,
        child_id,
        AccessPurpose.VIEW,
        route="network:referral-add",
        allowed=access.may_refer,
    )
    organisations = list(access.referral_organisations(child))
    own_phone = user.carer.phone if user.carer is not None else ""
    form = ReferralForm(
        request.POST or None,
        organisations=organisations,
        initial={"referrer_phone": own_phone},
    )
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_create(
                actor=user,
                child=child,
                organisation_id=form.organisation_id(),
                service=form.cleaned_data["service"],
                reason=form.cleaned_data["reason"],
                referrer_phone=form.cleaned_data["referrer_phone"],
            )
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The referral is sent."))
            return redirect("network:referral-detail", referral_id=referral.pk)
    context = {"child": child, "form": form, "organisations": organisations}
    status = 400 if form.errors else 200
    return render(request, "network/referral_add.html", context, status=status)


def _referral_page(
    request: HttpRequest, user: User, referral: Any, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context = {
        "referral": referral,
        "answers": access.answers_for_organisation(user, referral),
        "decline_form": forms.get("decline_form") or ReferralDeclineForm(prefix="decline"),
        "done_form": forms.get("done_form") or ReferralDoneForm(prefix="done"),
        "child_visible": child_visible(user, referral.child),
    }
    return render(request, "network/referral_detail.html", context, status=status)


@login_required
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    """The referral's page; an organisation's staff (whom the outbox's messages link here) are
    sent to their own page of it, which shows what a referral carries for them (or 404)."""
    user = account(request)
    if access.works_for_organisation(user):
        return redirect("network:staff-referral-detail", referral_id=referral_id)
    referral = access.referral_get_for_user(user, referral_id, route="network:referral-detail")
    return _referral_page(request, user, referral)


def referral_answer(
    request: HttpRequest, user: User, referral: Referral, action: str
) -> tuple[ReferralDeclineForm, ReferralDoneForm, bool | None]:
    """Record the organisation's answer `action` (accept, decline, done) from the POSTed form,
    for the referrer's side and the organisation's own pages alike: (the two forms, True when
    recorded, False on a state conflict (said in a message), None when the input is refused:
    its errors are on the form, for the page to show again)."""
    decline_form = ReferralDeclineForm(
        request.POST if action == "decline" else None, prefix="decline"
    )
    done_form = ReferralDoneForm(request.POST if action == "done" else None, prefix="done")
    try:
        if action == "accept":
            services.referral_accept(actor=user, referral=referral)
        elif action == "decline":
            reason = decline_form.cleaned_data["reason"] if decline_form.is_valid() else ""
            services.referral_decline(actor=user, referral=referral, reason=reason)
        else:
            values = done_form.cleaned_data if done_form.is_valid() else {}
            services.referral_done(
                actor=user,
                referral=referral,
                what_done=values.get("what_done", ""),
                outcome=values.get("outcome", ""),
            )
    except StateConflictError as exc:
        messages.error(request, str(exc))
        return decline_form, done_form, False
    except ValidationError as exc:
        core_forms.add_service_errors(decline_form if action == "decline" else done_form, exc)
        return decline_form, done_form, None
    return decline_form, done_form, True


@login_required
@require_POST
def referral_step(request: HttpRequest, referral_id: int, action: str) -> HttpResponse:
    """The organisation's answer, recorded by the county's administrator: accept, decline (with
    a reason), done (what was done and the outcome)."""
    user = account(request)
    if action not in STEPS:
        raise Http404
    referral = access.referral_get_for_user(user, referral_id, route="network:referral-step")
    if not access.answers_for_organisation(user, referral):
        raise PermissionDenied
    decline_form, done_form, recorded = referral_answer(request, user, referral, action)
    if recorded is None:
        return _referral_page(
            request, user, referral, status=400, decline_form=decline_form, done_form=done_form
        )
    if recorded:
        messages.success(request, _("The organisation's answer is recorded."))
    return redirect("network:referral-detail", referral_id=referral.pk)


def child_network_context(user: User, child: Child) -> dict[str, Any]:
    """The child page's referrals and case conferences sections (registry.views composes it,
    as care's sections): the referrals and conferences of the child the user sees, and whether
    they may refer the child or convene a conference for them."""
    return {
        "network": {
            "referrals": selectors.referrals_of_child(user, child),
            "may_refer": access.may_refer(user, child),
            "conferences": selectors.conferences_of_child(user, child),
            "may_convene": access.may_convene(user, child),
        }
    }


# Case conferences (联席会议; docs/network.md).
CONFERENCE_STEPS = ("hold", "close", "attendee", "action")


@login_required
def conference_list(request: HttpRequest) -> HttpResponse:
    """The conferences of the convener's area, newest first, a page at a time, with the first
    overdue actions above them; `?overdue=1`: every overdue action, most overdue first, a page
    at a time."""
    user = account(request)
    if not access.reads_conferences(user):
        raise PermissionDenied
    today = timezone.localdate()
    overdue = selectors.conference_actions_overdue(user, today)
    only_overdue = request.GET.get("overdue") in ("1", "true")
    rows: Any = overdue if only_overdue else selectors.conference_list(user)
    page = Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    first_overdue = [] if only_overdue else list(overdue[:OVERDUE_SHOWN])
    context = {
        "overdue": page.object_list if only_overdue else first_overdue,
        "overdue_count": overdue.count() if len(first_overdue) == OVERDUE_SHOWN else None,
        "only_overdue": only_overdue,
        "page": page,
        "today": today,
    }
    return render(request, "network/conference_list.html", context)


@login_required
def conference_add(request: HttpRequest, child_id: int) -> HttpResponse:
    """Convene a conference for a child of the convener's area."""
    user = account(request)
    child = child_get_for_user(
        user,
        child_id,
        AccessPurpose.VIEW,
        route="network:conference-add",
        allowed=access.may_convene,
    )
    form = ConferenceForm(
        request.POST or None, initial={"held_on": timezone.localdate().isoformat()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conference = services.conference_create(
                actor=user,
                child=child,
                held_on=data["held_on"],
                place=data["place"],
                format=data["format"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The case conference is convened."))
            return redirect("network:conference-detail", conference_id=conference.pk)
    context = {
        "child": child,
        "form": form,
        "on_risk_list": access.child_on_risk_list(child),
    }
    status = 400 if form.errors else 200
    return render(request, "network/conference_add.html", context, status=status)


def _with_note_fields(actions: list[Any]) -> list[tuple[Any, Any]]:
    """Each action with the note field of its own "mark done" form: ids of their own, so that
    each label names its own field on a page of many actions."""
    return [
        (a, ActionDoneForm(prefix="done", auto_id=f"id_action{a.pk}_%s")["note"]) for a in actions
    ]


def _conference_page(
    request: HttpRequest, user: User, conference: Any, *, status: int = 200, **forms: Any
) -> HttpResponse:
    runs = access.runs_conference(user, conference)
    view = selectors.conference_view(user, conference)
    context: dict[str, Any] = {
        "view": view,
        "conference": conference,
        "runs": runs,
        "child_visible": child_visible(user, conference.child),
        # Who marks an action done (`access.may_mark_done`): its owner, or one who runs it.
        "marks": {a.pk for a in view.actions if runs or a.owner_id == user.pk},
        "action_rows": _with_note_fields(view.actions),
    }
    if runs:
        users = list(access.action_owners(conference.child))
        organisations = list(access.conference_organisations(conference.child))
        context.update(
            hold_form=forms.get("hold_form") or ConferenceHoldForm(prefix="hold"),
            attendee_form=forms.get("attendee_form")
            or AttendeeForm(prefix="attendee", users=users, organisations=organisations),
            action_form=forms.get("action_form")
            or ActionForm(prefix="action", users=users, organisations=organisations),
        )
    return render(request, "network/conference_detail.html", context, status=status)


@login_required
def conference_detail(request: HttpRequest, conference_id: int) -> HttpResponse:
    user = account(request)
    conference = access.conference_get_for_user(
        user, conference_id, route="network:conference-detail"
    )
    return _conference_page(request, user, conference)


@login_required
def conference_edit(request: HttpRequest, conference_id: int) -> HttpResponse:
    """Change the date, place and format, and what was discussed and decided."""
    user = account(request)
    conference = access.conference_get_for_user(
        user, conference_id, route="network:conference-edit"
    )
    if not access.runs_conference(user, conference):
        raise PermissionDenied
    form = ConferenceEditForm(
        request.POST or None,
        initial={
            "held_on": conference.held_on.isoformat(),
            "place": conference.place,
            "format": conference.format,
            "summary": conference.summary,
            "decisions": conference.decisions,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.conference_update(actor=user, conference=conference, **form.cleaned_data)
        except StateConflictError as exc:
            messages.error(request, str(exc))
            return redirect("network:conference-detail", conference_id=conference.pk)
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The case conference is saved."))
            return redirect("network:conference-detail", conference_id=conference.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "network/conference_edit.html",
        {"conference": conference, "form": form},
        status=status,
    )


@login_required
@require_POST
def conference_step(request: HttpRequest, conference_id: int, action: str) -> HttpResponse:
    """The convener records the conference: held (discussion and decisions), an attendee, an
    action, closed."""
    user = account(request)
    if action not in CONFERENCE_STEPS:
        raise Http404
    conference = access.conference_get_for_user(
        user, conference_id, route="network:conference-step"
    )
    if not access.runs_conference(user, conference):
        raise PermissionDenied
    users = list(access.action_owners(conference.child))
    organisations = list(access.conference_organisations(conference.child))
    data = request.POST
    hold_form = ConferenceHoldForm(data if action == "hold" else None, prefix="hold")
    attendee_form = AttendeeForm(
        data if action == "attendee" else None,
        prefix="attendee",
        users=users,
        organisations=organisations,
    )
    action_form = ActionForm(
        data if action == "action" else None,
        prefix="action",
        users=users,
        organisations=organisations,
    )
    form: Any = {"hold": hold_form, "attendee": attendee_form, "action": action_form}.get(action)
    try:
        if action == "close":
            services.conference_close(actor=user, conference=conference)
            done = _("The case conference is closed.")
        elif action == "hold":
            values = hold_form.cleaned_data if hold_form.is_valid() else {}
            services.conference_hold(
                actor=user,
                conference=conference,
                summary=values.get("summary", ""),
                decisions=values.get("decisions", ""),
            )
            done = _("The case conference is recorded as held.")
        elif action == "attendee":
            ok = attendee_form.is_valid()
            services.conference_attendee_add(
                actor=user,
                conference=conference,
                user_id=attendee_form.user_id() if ok else None,
                organisation_id=attendee_form.organisation_id() if ok else None,
                name=attendee_form.cleaned_data.get("name", "") if ok else "",
                role=attendee_form.cleaned_data.get("role", "") if ok else "",
            )
            done = _("The attendee is added.")
        else:
            ok = action_form.is_valid()
            services.conference_action_add(
                actor=user,
                conference=conference,
                what=action_form.cleaned_data.get("what", "") if ok else "",
                owner_id=action_form.owner_id() if ok else None,
                due_on=action_form.cleaned_data.get("due_on", "") if ok else "",
                organisation_id=action_form.organisation_id() if ok else None,
            )
            done = _("The action is added.")
    except StateConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        if form is None:
            service_errors(request, exc)
            return redirect("network:conference-detail", conference_id=conference.pk)
        core_forms.add_service_errors(form, exc)
        return _conference_page(
            request,
            user,
            conference,
            status=400,
            hold_form=hold_form,
            attendee_form=attendee_form,
            action_form=action_form,
        )
    else:
        messages.success(request, done)
    return redirect("network:conference-detail", conference_id=conference.pk)


@login_required
@require_POST
def conference_attendee_remove(
    request: HttpRequest, conference_id: int, attendee_id: int
) -> HttpResponse:
    """A convener takes back an attendee recorded by mistake."""
    user = account(request)
    conference = access.conference_get_for_user(
        user, conference_id, route="network:conference-attendee-remove"
    )
    if not access.runs_conference(user, conference):
        raise PermissionDenied
    attendee = access.conference_attendee_get(conference, attendee_id)
    try:
        services.conference_attendee_remove(actor=user, attendee=attendee)
    except StateConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The attendee is taken off the list."))
    return redirect("network:conference-detail", conference_id=conference.pk)


@login_required
def conference_action_edit(request: HttpRequest, action_id: int) -> HttpResponse:
    """A convener changes an open action: what, owner, due date, organisation."""
    user = account(request)
    action = access.conference_action_get_for_user(
        user, action_id, route="network:conference-action-edit"
    )
    conference = action.conference
    if not access.runs_conference(user, conference):
        raise PermissionDenied
    users = list(access.action_owners(conference.child))
    organisations = list(access.conference_organisations(conference.child))
    form = ActionForm(
        request.POST or None,
        prefix="action",
        users=users,
        organisations=organisations,
        initial={
            "what": action.what,
            "owner": action.owner_id,
            "due_on": action.due_on.isoformat(),
            "organisation": action.organisation_id or "",
        },
    )
    back = reverse("network:conference-detail", args=[conference.pk])
    if request.method == "POST":
        ok = form.is_valid()
        try:
            services.conference_action_update(
                actor=user,
                action=action,
                what=form.cleaned_data.get("what", "") if ok else "",
                owner_id=form.owner_id() if ok else None,
                due_on=form.cleaned_data.get("due_on", "") if ok else "",
                organisation_id=form.organisation_id() if ok else None,
            )
        except StateConflictError as exc:
            messages.error(request, str(exc))
            return redirect(back)
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The action is saved."))
            return redirect(back)
    context = {
        "title": _("Change the action"),
        "form": form,
        "submit": _("Save"),
        "cancel": back,
    }
    return render(request, "web/form_page.html", context, status=400 if form.errors else 200)


@login_required
def conference_actions_mine(request: HttpRequest) -> HttpResponse:
    """The actions the user owns, open ones first, each marked done with a note."""
    user = account(request)
    if not access.owns_actions(user):
        raise PermissionDenied
    context = {
        "action_rows": _with_note_fields(selectors.conference_actions_mine(user)),
        "today": timezone.localdate(),
    }
    return render(request, "network/conference_actions_mine.html", context)


@login_required
@require_POST
def conference_action_done(request: HttpRequest, action_id: int) -> HttpResponse:
    """The owner (or a convener) marks an action done, with a note; back to where it was."""
    user = account(request)
    action = access.conference_action_get_for_user(
        user, action_id, route="network:conference-action-done"
    )
    if not access.may_mark_done(user, action):
        raise PermissionDenied
    form = ActionDoneForm(request.POST, prefix="done")
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.conference_action_done(actor=user, action=action, note=note)
    except StateConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        service_errors(request, exc)
    else:
        messages.success(request, _("The action is done."))
    if request.POST.get("back") == "conference":
        return redirect("network:conference-detail", conference_id=action.conference_id)
    return redirect("network:conference-actions-mine")
