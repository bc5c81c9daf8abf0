"""The web's own security layer: response headers (a strict Content-Security-Policy, which
Django 5.2 does not have built in) and session rules (idle and absolute time-outs, and the check
that a session opened with a password alone is not used where a code is needed).

Oversized request bodies answer 413 (`RequestSizeMiddleware`).

HSTS, the HTTPS redirect, nosniff, the referrer and opener policies and X-Frame-Options come from
Django's SecurityMiddleware and XFrameOptionsMiddleware (config/settings.py).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import RequestDataTooBig
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from care365.accounts import totp
from care365.accounts.models import Role, User
from care365.core.errors import too_large_message

# No inline script or style anywhere, no plug-ins, no framing, forms and links only to the app.
# `data:` images are the QR code's and Swagger UI's icons.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)

# Session keys written at sign-in.
SIGNED_IN_AT = "care365_signed_in_at"
SEEN_AT = "care365_seen_at"
SECOND_STEP = "care365_second_step"
NEEDED, NOT_NEEDED, VERIFIED = "needed", "not-needed", "verified"
# The last-seen time is written at most this often, not on every request.
SEEN_RESOLUTION = 60


class SecurityHeadersMiddleware(MiddlewareMixin):
    """Content-Security-Policy and Permissions-Policy on every response."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def _now() -> int:
    return int(time.time())


def _second_step_ok(request: HttpRequest, user: User) -> bool:
    """A session opened with the password alone (Django's admin login, or before two-step
    sign-in was required) may not be used by an account that needs a code."""
    state = request.session.get(SECOND_STEP)
    if state == VERIFIED:
        return True
    if state == NOT_NEEDED:
        return not totp.required_for(user)
    if state == NEEDED:
        return False
    needed = totp.second_step_needed(user)
    if not needed:
        request.session[SECOND_STEP] = NOT_NEEDED
    return not needed


class SessionSecurityMiddleware(MiddlewareMixin):
    """Signs a user out after SESSION_IDLE_SECONDS without a request, SESSION_COOKIE_AGE after
    sign-in whatever the activity, or when the session lacks a code the account needs. The
    request then goes on as an anonymous one: a page redirects to the sign-in page, where the
    reason is shown; the API answers 401.

    Synchronous only, and last in MIDDLEWARE: under ASGI, Django then runs the whole middleware
    chain and the view in one thread per request. With every middleware able to run both ways it
    would run each one's hooks in a thread of their own, two hops per middleware per request,
    which cost more CPU than the view itself. (Async views still run: Django calls them from
    the request's thread, and a streamed response is still streamed by the event loop.)"""

    async_capable = False

    def process_request(self, request: HttpRequest) -> None:
        user = request.user
        if not user.is_authenticated or not isinstance(user, User):
            return
        session = request.session
        now = _now()
        signed_in = int(session.get(SIGNED_IN_AT) or now)
        seen = int(session.get(SEEN_AT) or now)
        idle = settings.SESSION_IDLE_SECONDS
        message = ""
        if now - signed_in > settings.SESSION_COOKIE_AGE:
            message = _("Your session has ended. Please sign in again.")
        elif idle > 0 and now - seen > idle:
            minutes = max(1, idle // 60)
            message = ngettext(
                "You were signed out after %(minutes)d minute without activity.",
                "You were signed out after %(minutes)d minutes without activity.",
                minutes,
            ) % {"minutes": minutes}
        elif not _second_step_ok(request, user):
            message = _("Sign in on the sign-in page, with the code from your authenticator app.")
        if message:
            logout(request)
            messages.info(request, message)
            return
        if SIGNED_IN_AT not in session:
            session[SIGNED_IN_AT] = now
        # An event stream reconnects by itself while a page stays open: it is not the user.
        background = "text/event-stream" in request.headers.get("Accept", "")
        if SEEN_AT not in session or (now - seen >= SEEN_RESOLUTION and not background):
            session[SEEN_AT] = now


@receiver(user_logged_in, dispatch_uid="care365.web.security.signed_in")
def signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Start the session's clocks at every sign-in, whichever view signed the user in, and note
    whether the account needs a code; the code step marks the session VERIFIED after this."""
    session = getattr(request, "session", None)
    if session is None:
        return
    now = _now()
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now
    needed = isinstance(user, User) and totp.second_step_needed(user)
    session[SECOND_STEP] = NEEDED if needed else NOT_NEEDED


def mark_second_step_done(request: HttpRequest) -> None:
    request.session[SECOND_STEP] = VERIFIED


@register("security")
def check_totp_roles(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """CARE365_REQUIRE_TOTP_FOR must name roles: a typo would leave a role without codes."""
    unknown = sorted(set(settings.REQUIRE_TOTP_FOR) - set(Role.values))
    if not unknown:
        return []
    return [
        Error(
            f"CARE365_REQUIRE_TOTP_FOR names unknown roles: {', '.join(unknown)}",
            hint=f"Use some of: {', '.join(Role.values)}.",
            id="care365.E001",
        )
    ]


def _too_large(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": too_large_message(), "errors": {}}, status=413)
    return render(request, "413.html", {"message": too_large_message()}, status=413)


class RequestSizeMiddleware(MiddlewareMixin):
    """A request body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), or over the size whose setting
    a view names in `max_request_body_setting` (the import upload: CARE365_IMPORT_MAX_MB),
    answers 413: on the API in its error shape, on a page with an error page in the user's
    language. Without this Django would answer its bare English 400 page.

    Checked by the declared Content-Length before any view (or the CSRF check, which reads the
    form) touches the body, and again for a body Django finds too big while reading it."""

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        # A view that takes file uploads (an import) names the setting of the size it accepts.
        larger = getattr(view, "max_request_body_setting", None)
        limit = (
            getattr(settings, larger) + 64 * 1024
            if larger
            else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if limit is not None and length > limit:
            return _too_large(request)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return _too_large(request)
        return None
