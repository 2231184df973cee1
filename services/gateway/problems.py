"""Errors as RFC 9457 problem details (`application/problem+json`) with a human `detail`, for every
failure the gateway answers: domain errors, validation errors, malformed JSON, unknown routes and
unexpected crashes.

Malformed JSON answers 400 (the body cannot be read at all); a body that parses but breaks the
rules answers 422 with one message per field; a body in another media type answers 415.

A failed call to another service becomes a problem in one place, `problem_from_rpc_error`, for
every client: INVALID_ARGUMENT → 422, NOT_FOUND → 404 (the gateway's own words), PERMISSION_DENIED
→ 403, FAILED_PRECONDITION / ALREADY_EXISTS → 409, RESOURCE_EXHAUSTED → 402 when the caller is out
of credits (trailing metadata `atelier-reason: out_of_credits`), else 429; UNAVAILABLE and
DEADLINE_EXCEEDED → 503; anything else → 502. The gateway's own database or NATS down → 503 too.
"""

import logging
import re
from http import HTTPStatus
from typing import Any, TypeVar, cast

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from glue.grpc_errors import OUTAGES
from glue.ids import canonical_uuid

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raised anywhere in request handling; answered as a problem document."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers
        self.extra = extra


def not_found(what: str) -> Problem:
    return Problem(404, f"{what} not found.")


def uuid_or_404(value: str, detail: str) -> str:
    """The canonical spelling of a path's id; one that is not a UUID is the missing one's 404."""
    canonical = canonical_uuid(value)
    if canonical is None:
        raise Problem(404, detail)
    return canonical


Client = TypeVar("Client")


def available(client: object, kind: type[Client], what: str) -> Client:
    """The app's client of `kind`; 503 when this server runs without one."""
    if not isinstance(client, kind):
        raise Problem(503, f"{what} are not available on this server.", headers={"Retry-After": "60"})
    return client


def unauthorized(detail: str = "Log in or send an API key (Authorization: Bearer <key>).") -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": "Bearer"})


REASON_METADATA_KEY = "atelier-reason"
OUT_OF_CREDITS = "out_of_credits"


def rpc_reason(error: grpc.aio.AioRpcError) -> str:
    """The `atelier-reason` a service put in the trailing metadata of a failure ("" when none)."""
    # grpc-stubs gives AioRpcError the sync RpcError's trailing_metadata() (a tuple of _Metadatum);
    # grpc.aio's returns a Metadata, which iterates as (key, value) pairs.
    metadata = cast("grpc.aio.Metadata | None", error.trailing_metadata())
    for key, value in metadata or ():
        if key == REASON_METADATA_KEY:
            return value if isinstance(value, str) else value.decode()
    return ""


def problem_from_rpc_error(
    error: grpc.aio.AioRpcError,
    *,
    not_found: str,
    service: str = "generation",
) -> Problem:
    """`not_found` is the whole 404 detail: the service's own message is never shown for NOT_FOUND,
    so that every "not found" of one kind of thing reads (and is) the same."""
    code, message = error.code(), error.details() or ""
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        # Atelier services word these "field: what is wrong"; shown like the gateway's own 422s.
        field = re.fullmatch(r"([a-z_][a-z0-9_.]*(?:\[\d+\])?): (.+)", message, re.DOTALL)
        errors = [{"field": field[1], "message": field[2]}] if field else []
        return Problem(422, message or "The request is not valid.", errors=errors)
    if code == grpc.StatusCode.NOT_FOUND:
        return Problem(404, not_found)
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return Problem(403, message or "Your plan does not allow this.")
    if code in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ALREADY_EXISTS):
        return Problem(409, message or "This conflicts with the current state.")
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        if rpc_reason(error) == OUT_OF_CREDITS:
            return Problem(402, message or "You are out of credits.")
        return Problem(
            429, message or "Too many generations at once; wait for one to finish.", headers={"Retry-After": "5"}
        )
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        log.warning("service unavailable", extra={"service": service, "code": code.name, "details": message})
        what = "Image generation is" if service == "generation" else f"The {service} service is"
        return Problem(503, f"{what} temporarily unavailable; please try again shortly.", headers={"Retry-After": "5"})
    log.error("service error", extra={"service": service, "code": code.name, "details": message})
    return Problem(502, f"The {service} service failed to answer; please try again.")


def problem_response(
    status: int, detail: str, *, instance: str | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _field_name(loc: tuple[Any, ...]) -> str:
    # loc starts with where the value came from ("body", "query", "header", "path").
    parts = [str(part) for part in loc[1:]] or [str(loc[0])]
    return ".".join(parts)


# Pydantic's own wording, rephrased for people; types not listed keep pydantic's message.
_MESSAGES_BY_TYPE = {
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field.",
    "string_type": "Must be a string.",
    "string_too_short": "Must be at least {min_length} character(s) long.",
    "string_too_long": "Must be at most {max_length} characters long.",
    "string_pattern_mismatch": "Does not have the expected form ({pattern}).",
    "int_type": "Must be a whole number.",
    "int_parsing": "Must be a whole number.",
    "greater_than_equal": "Must be {ge} or more.",
    "less_than_equal": "Must be {le} or less.",
    "bool_type": "Must be true or false.",
    "bool_parsing": "Must be true or false.",
    "literal_error": "Must be one of {expected}.",
    "list_type": "Must be a list.",
    "too_long": "Must have at most {max_length} items.",
    "uuid_parsing": "Must be a UUID.",
    "uuid_type": "Must be a UUID.",
    "model_attributes_type": "Must be a JSON object.",
    "dict_type": "Must be a JSON object.",
}


def _message(item: dict[str, Any]) -> str:
    template = _MESSAGES_BY_TYPE.get(item["type"])
    if template is None:
        # Custom validators raise ValueError; pydantic prefixes "Value error, " to the rule itself.
        return str(item["msg"]).removeprefix("Value error, ")
    try:
        return template.format(**item.get("ctx", {}))
    except (KeyError, IndexError):
        return str(item["msg"])


def _field_errors(error: RequestValidationError) -> list[dict[str, str]]:
    return [{"field": _field_name(tuple(item["loc"])), "message": _message(item)} for item in error.errors()]


def is_json_content_type(value: str) -> bool:
    media_type = value.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


async def on_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    errors = error.errors()
    if any(item["type"] == "json_invalid" for item in errors):
        reason = next(item for item in errors if item["type"] == "json_invalid").get("ctx", {}).get("error", "")
        return problem_response(400, f"The request body is not valid JSON ({reason}).", instance=request.url.path)
    content_type = request.headers.get("content-type", "")
    body_not_read_as_json = any(tuple(item["loc"]) == ("body",) and item["type"] != "missing" for item in errors)
    if content_type and body_not_read_as_json and not is_json_content_type(content_type):
        return problem_response(
            415, "Send the request body as JSON (Content-Type: application/json).", instance=request.url.path
        )
    if any(tuple(item["loc"]) == ("body",) and item["type"] == "missing" for item in errors):
        return problem_response(
            422,
            "A JSON request body is required.",
            instance=request.url.path,
            errors=[{"field": "body", "message": _MESSAGES_BY_TYPE["missing"]}],
        )
    fields = _field_errors(error)
    detail = "Invalid request. " + " ".join(f"{item['field']}: {item['message'].rstrip('.')}." for item in fields)
    return problem_response(422, detail, instance=request.url.path, errors=fields)


_HTTP_DETAILS = {
    404: "There is nothing at this address.",
    405: "This method is not allowed here.",
}


async def _on_http_exception(request: Request, error: StarletteHTTPException) -> JSONResponse:
    phrase = HTTPStatus(error.status_code).phrase
    # Starlette's own errors carry only the status phrase; say something more useful then.
    detail = (
        error.detail
        if isinstance(error.detail, str) and error.detail != phrase
        else _HTTP_DETAILS.get(error.status_code, phrase)
    )
    return problem_response(
        error.status_code, detail, instance=request.url.path, headers=getattr(error, "headers", None)
    )


async def on_problem(request: Request, problem: Problem) -> JSONResponse:
    return problem_response(
        problem.status, problem.detail, instance=request.url.path, headers=problem.headers, **problem.extra
    )


async def _on_outage(request: Request, error: Exception) -> JSONResponse:
    # The gateway's own database or NATS is down (restarting, failing over): an outage the client
    # may wait out, as when a service it calls is down, not a bug.
    log.warning("dependency unavailable", extra={"path": request.url.path, "error": repr(error)})
    return problem_response(
        503,
        "Atelier is temporarily unavailable; please try again shortly.",
        instance=request.url.path,
        headers={"Retry-After": "5"},
    )


async def _on_unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error", extra={"path": request.url.path, "method": request.method})
    return problem_response(500, "Something went wrong on our side; please try again.", instance=request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, on_problem)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)  # type: ignore[arg-type]
    for outage in OUTAGES:
        app.add_exception_handler(cast("type[Exception]", outage), _on_outage)
    app.add_exception_handler(Exception, _on_unexpected)
