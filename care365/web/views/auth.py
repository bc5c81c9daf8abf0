"""Signing in (password, then a code where the account needs one) and setting up two-step
sign-in. The rules live in care365.accounts.totp and .throttle; these views keep the sign-in's
state in the session.

Between the password and the code the user is *not* signed in: the session only holds who
passed the password step, for PENDING_SECONDS. Django's `login()` (which cycles the session key)
runs when the code is right.
"""

from __future__ import annotations

import time
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from care365.accounts import selectors, services, throttle, totp
from care365.accounts.access import api_token_get_for_user, may_manage_users, user_get_for_user
from care365.accounts.http import account
from care365.accounts.models import ApiToken, TotpDevice, User
from care365.core.forms import add_service_errors
from care365.web.forms import CodeForm, LoginForm
from care365.web.security import mark_second_step_done

PENDING = "care365_pending_sign_in"
PENDING_SECONDS = 5 * 60
BACKEND = "care365.accounts.backends.Care365Backend"


def _pending_start(request: HttpRequest, user: User, next_url: str) -> None:
    request.session[PENDING] = {"user": user.pk, "at": int(time.time()), "next": next_url}


def _pending(request: HttpRequest) -> tuple[User, str] | None:
    """Who passed the password step in this session, and where they were going."""
    data = request.session.get(PENDING)
    if not isinstance(data, dict) or time.time() - float(data.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = selectors.active_user_get(int(data.get("user") or 0))
    if user is None:
        return None
    return user, str(data.get("next") or reverse("web:home"))


def _sign_in(request: HttpRequest, user: User, *, second_step: bool) -> None:
    request.session.pop(PENDING, None)
    auth_login(request, user, backend=BACKEND)
    if second_step:
        mark_second_step_done(request)
    throttle.forget(username=user.get_username())


def _start_again(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("Signing in took too long. Please start again."))
    return redirect("web:login")


def _qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG QR code, drawn on the server (no script, no CDN)."""
    return segno.make(uri, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title=_("QR code for your authenticator app")
    )


def _enrol_context(device: TotpDevice) -> dict[str, Any]:
    enrolment = totp.enrolment(device)
    # Groups of four, as authenticator apps show keys typed by hand.
    key = " ".join(enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4))
    return {"enrolment": enrolment, "key": key, "qr": _qr_svg(enrolment.uri)}


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class SignInView(auth_views.LoginView):
    """The password step. An account with an authenticator app (or whose role must have one)
    goes on to the code step (or to setting one up); the others are signed in."""

    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: Form) -> HttpResponse:
        user = form.get_user()  # type: ignore[attr-defined]  # AuthenticationForm's
        next_url = self.get_success_url()
        device = totp.confirmed_device(user)
        if device is None and not totp.required_for(user):
            _sign_in(self.request, user, second_step=False)
            return HttpResponseRedirect(next_url)
        _pending_start(self.request, user, next_url)
        return redirect("web:login-code" if device is not None else "web:login-enrol")


@sensitive_post_parameters("code")
@never_cache
def login_code(request: HttpRequest) -> HttpResponse:
    """The code step: a code from the app, or a recovery code."""
    pending = _pending(request)
    if pending is None:
        return _start_again(request)
    user, next_url = pending
    if totp.confirmed_device(user) is None:
        return redirect("web:login-enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            kind = totp.verify(
                user=user, code=form.cleaned_data["code"], ip=throttle.client_ip(request)
            )
        except throttle.SignInThrottledError as exc:
            form.add_error(None, exc)
        else:
            if kind is None:
                form.add_error("code", _("This code is not right."))
            else:
                _sign_in(request, user, second_step=True)
                if kind == "recovery":
                    left = totp.recovery_codes_left(user)
                    messages.warning(
                        request,
                        ngettext(
                            "You signed in with a recovery code. %(left)d is left: make new "
                            "ones under Two-step sign-in.",
                            "You signed in with a recovery code. %(left)d are left: make new "
                            "ones under Two-step sign-in.",
                            left,
                        )
                        % {"left": left},
                    )
                return HttpResponseRedirect(next_url)
    return render(request, "web/login_code.html", {"form": form})


@sensitive_post_parameters("code")
@never_cache
def login_enrol(request: HttpRequest) -> HttpResponse:
    """Setting up an authenticator app during sign-in, for a role that must sign in with codes
    (CARE365_REQUIRE_TOTP_FOR) and has none yet."""
    pending = _pending(request)
    if pending is None:
        return _start_again(request)
    user, next_url = pending
    if totp.confirmed_device(user) is not None:
        return redirect("web:login-code")
    if not totp.required_for(user):
        return _start_again(request)
    device = totp.pending_device(user) or totp.device_start(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp.device_confirm(
                user=user, code=form.cleaned_data["code"], ip=throttle.client_ip(request)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _sign_in(request, user, second_step=True)
            return render(
                request, "web/two_factor_codes.html", {"codes": codes, "next_url": next_url}
            )
    context = {"form": form, "action": reverse("web:login-enrol"), **_enrol_context(device)}
    return render(request, "web/login_enrol.html", context)


def _two_factor_page(request: HttpRequest, user: User, form: CodeForm) -> HttpResponse:
    device = totp.device_of(user)
    context: dict[str, Any] = {
        "device": device,
        "required": totp.required_for(user),
        "form": form,
        "codes_left": totp.recovery_codes_left(user) if device else 0,
    }
    if device is not None and device.confirmed_at is None:
        context.update(_enrol_context(device))
    return render(request, "web/two_factor.html", context)


@login_required
@never_cache
def two_factor(request: HttpRequest) -> HttpResponse:
    """Two-step sign-in for the signed-in user: set up, confirm, new recovery codes, turn off."""
    return _two_factor_page(request, account(request), CodeForm())


@login_required
@require_POST
def two_factor_start(request: HttpRequest) -> HttpResponse:
    try:
        totp.device_start(user=account(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("web:two-factor")


def _code_action(request: HttpRequest, action: Any, *, codes: bool) -> HttpResponse:
    user = account(request)
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            result = action(
                user=user, code=form.cleaned_data["code"], ip=throttle.client_ip(request)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if codes:
                mark_second_step_done(request)
                return render(
                    request,
                    "web/two_factor_codes.html",
                    {"codes": result, "next_url": reverse("web:two-factor")},
                )
            messages.success(request, _("Two-step sign-in is off."))
            return redirect("web:two-factor")
    return _two_factor_page(request, user, form)


@login_required
@require_POST
@never_cache
@sensitive_post_parameters("code")
def two_factor_confirm(request: HttpRequest) -> HttpResponse:
    return _code_action(request, totp.device_confirm, codes=True)


@login_required
@require_POST
@never_cache
@sensitive_post_parameters("code")
def two_factor_codes(request: HttpRequest) -> HttpResponse:
    return _code_action(request, totp.recovery_codes_renew, codes=True)


@login_required
@require_POST
@sensitive_post_parameters("code")
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    return _code_action(request, totp.device_remove, codes=False)


# API tokens ------------------------------------------------------------------------------------


class SignOutView(auth_views.LogoutView):
    """Signing out also revokes every API token of the account: whoever signs out expects
    nothing of theirs to stay open (docs/api.md "Tokens")."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            services.api_tokens_revoke_all(actor=user, user=user, why=ApiToken.Revoked.SIGN_OUT)
        return super().post(request, *args, **kwargs)


@login_required
@never_cache
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The signed-in user's API tokens, each with a button to revoke it; for a county
    administrator also the tokens of the county's users."""
    user = account(request)
    context: dict[str, Any] = {
        "tokens": list(selectors.api_tokens_of(user)),
        "manages": may_manage_users(user),
        "county_tokens": list(selectors.api_tokens_managed_by(user).exclude(user=user)),
    }
    return render(request, "web/api_tokens.html", context)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = account(request)
    token = api_token_get_for_user(user, token_id)
    if services.api_token_revoke(actor=user, token=token):
        messages.success(request, _("The token is revoked: it no longer opens anything."))
    return redirect("web:api-tokens")


@login_required
@require_POST
def user_tokens_revoke(request: HttpRequest, user_id: int) -> HttpResponse:
    """A county administrator revokes every token of a user of the county."""
    actor = account(request)
    if not may_manage_users(actor):
        raise PermissionDenied
    user = user_get_for_user(actor, user_id)
    revoked = services.api_tokens_revoke_all(actor=actor, user=user, why=ApiToken.Revoked.ADMIN)
    messages.success(
        request,
        ngettext(
            "%(count)d token of %(user)s is revoked.",
            "%(count)d tokens of %(user)s are revoked.",
            revoked,
        )
        % {"count": revoked, "user": user.get_username()},
    )
    back = str(request.POST.get("next", ""))
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("web:api-tokens")


@method_decorator(sensitive_post_parameters("new_password1", "new_password2"), name="dispatch")
class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The one-time link a county administrator hands a new user (or one who forgot their
    password; `accounts.services.user_invite_link`): Django's password reset tokens, so the link
    stops working once a password is set. The token leaves the address bar at once (Django
    keeps it in the session), so it is not sent on as a Referer."""

    template_name = "web/password_set.html"
    success_url = reverse_lazy("web:login")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set: sign in with it."))
        return response
