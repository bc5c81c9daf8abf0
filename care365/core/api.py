"""One error shape for every API failure, and the handlers that produce it.

Every operation declares 400, 401, 403, 404 and 422 with `ErrorOut`, so an integrator (or a
schema fuzzer) knows every answer in advance; an operation that can meet a conflict (an alert
someone else answered first) declares 409 as well. Messages are in the request's language
(LocaleMiddleware reads Accept-Language); they never repeat what was submitted, so a child's
name, ID number, phone or address cannot end up in an error body or a log of one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

from care365.core.errors import StateConflictError, too_large_message

E = TypeVar("E", bound=Exception)

ERROR_CODES = (400, 401, 403, 404, 422)
CONFLICT = 409
TOO_LARGE = 413  # declared on every operation that takes a body (`_declare_too_large`)
# Sub-records of a child in request bodies; the services name their fields "<part>_<field>".
BODY_PARTS = ("father", "mother", "guardian")


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in the request's language.")
    errors: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            'Messages by field (for 422): a body field ("id_number", "guardian.phone"), a query '
            'or path parameter ("limit"), or "__all__" for the request as a whole.'
        ),
    )


def route(operation_id: str) -> str:
    """The access log's route for an API operation."""
    return f"api:{operation_id}"


def responses(ok: int, schema: Any, *also: int) -> dict[int, Any]:
    """The `response=` of an operation: its success and every declared error, with the error
    codes in `also` (CONFLICT) for the operations that can answer them."""
    return {ok: schema, **dict.fromkeys((*ERROR_CODES, *also), ErrorOut)}


def _body(detail: str, errors: Mapping[str, Iterable[str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": {k: [str(m) for m in v] for k, v in (errors or {}).items()}}


def _field_name(key: str) -> str:
    """A service's field key as the request body spells it: "guardian_phone" -> "guardian.phone"."""
    for part in BODY_PARTS:
        if key.startswith(f"{part}_"):
            return f"{part}.{key[len(part) + 1 :]}"
    return key


def _location(loc: Iterable[Any]) -> str:
    """ninja's error location ("body", "payload", "guardian", "phone") as a field path."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
        # A body or query schema is one parameter of the handler: drop its name.
        if parts and parts[0] in {"payload", "filters"}:
            parts = parts[1:]
    return ".".join(parts) or NON_FIELD_ERRORS


def validation_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {_field_name(k): [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}


def install(api: NinjaAPI) -> None:
    """Make every failure answer with `ErrorOut`."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        response = api.create_response(request, body, status=status)
        if status == 401:
            # The SMS gateway's webhook is signed, not signed in: its challenge names the header.
            signed = request.path.rstrip("/").endswith("/sms/inbound")
            response["WWW-Authenticate"] = 'Signature header="X-Signature"' if signed else "Bearer"
        return response

    def on_service_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = validation_errors(exc)
        if set(errors) == {NON_FIELD_ERRORS}:
            detail = " ".join(errors[NON_FIELD_ERRORS])
        else:
            detail = _("Some fields are not valid.")
        return respond(request, 422, _body(detail, errors))

    def on_request_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            # Only the message: pydantic's error also carries the input, which may be a name.
            errors.setdefault(_location(error.get("loc", ())), []).append(str(error["msg"]))
        return respond(request, 422, _body(_("Some fields are not valid."), errors))

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, _body(_("Not found.")))

    def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, _body(_("You may not do this.")))

    def on_conflict(request: HttpRequest, exc: StateConflictError) -> HttpResponse:
        # The service's message says the state the record is in now ("already acknowledged").
        return respond(request, CONFLICT, _body(str(exc)))

    def on_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # Usually answered before the API is reached (care365.web.security.RequestSizeMiddleware, by
        # the declared length); this is a body found too big while it is read.
        return respond(request, TOO_LARGE, _body(too_large_message()))

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, AuthenticationError) or exc.status_code == 401:
            # ninja's own message is "Unauthorized"; ours (e.g. wrong password) is already
            # translated where it was raised.
            custom = exc.message != AuthenticationError().message
            detail = exc.message if custom else _("Sign in first: send a valid bearer token.")
            return respond(request, 401, _body(detail))
        if exc.status_code == 403:
            return respond(request, 403, _body(_("You may not do this.")))
        if exc.status_code == 400:
            return respond(request, 400, _body(_("The request body is not valid JSON.")))
        return respond(request, exc.status_code, _body(str(exc)))

    _handle(api, ValidationError, on_service_error)
    _handle(api, NinjaValidationError, on_request_error)
    _handle(api, Http404, on_not_found)
    _handle(api, PermissionDenied, on_forbidden)
    _handle(api, StateConflictError, on_conflict)
    _handle(api, HttpError, on_http_error)
    _handle(api, RequestDataTooBig, on_too_large)
    _declare_too_large(api)


def _declare_too_large(api: NinjaAPI) -> None:
    """Add 413 (in the error shape) to the published responses of every operation with a
    request body: any of them can be sent a body over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    build = api.get_openapi_schema

    def get_openapi_schema(*args: Any, **kwargs: Any) -> Any:
        schema = build(*args, **kwargs)
        error = {"$ref": f"#/components/schemas/{ErrorOut.__name__}"}
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                if isinstance(operation, dict) and "requestBody" in operation:
                    operation["responses"].setdefault(
                        str(TOO_LARGE),
                        {
                            "description": "The request body is too large.",
                            "content": {"application/json": {"schema": error}},
                        },
                    )
        return schema

    api.get_openapi_schema = get_openapi_schema  # type: ignore[method-assign]  # post-process


def _handle(
    api: NinjaAPI, exc_class: type[E], handler: Callable[[HttpRequest, E], HttpResponse]
) -> None:
    # ninja types a handler's argument as "the exception or its class"; it always passes the
    # raised instance, which is what our handlers take.
    api.add_exception_handler(exc_class, cast(Any, handler))
