"""The one place where errors become HTTP responses: JSON with a stable ``code``, a human ``message``
and, for invalid input, the ``field``. Invalid input is 422 across the whole API (Powertools' convention
for validation errors, which we follow for our own checks too)."""

from __future__ import annotations

import json
import traceback
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from switchboard import errors

STATUS_BY_ERROR: list[tuple[type[errors.SwitchboardError], int]] = [
    (errors.InvalidInput, 422),
    (errors.Unauthorized, 401),
    (errors.BadSignature, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.PayloadTooLarge, 413),
    (errors.NotAcceptable, 406),
    (errors.QueueUnavailable, 503),
    (errors.ConcurrentUpdate, 503),
    (errors.TooManyRequests, 429),
    (errors.ProviderUnavailable, 502),
]


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type="application/json",
                    body=json.dumps(body, default=str), headers=headers)


def error_body(code: str, message: str, field: str | None = None, **details: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    body.update({k: v for k, v in details.items() if v is not None})
    return body


def status_of(error: errors.SwitchboardError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 500


def domain_error_response(error: errors.SwitchboardError) -> Response:
    field = getattr(error, "field", None) or error.details.get("field")
    details = {k: v for k, v in error.details.items() if k != "field"}
    if isinstance(error, errors.InvalidInput):
        # One shape for invalid input, whichever check refused it: the same as a failed validation's.
        details["errors"] = [{"field": field or "body", "message": error.message}]
    headers = {"Retry-After": str(error.retry_after_s)} if isinstance(error, errors.TooManyRequests) else None
    return json_response(status_of(error), error_body(error.code, error.message, field, **details), headers)


def _field_of(location: Any) -> str:
    """A pydantic location without Powertools' leading "body", "query", "path" or "header"."""
    parts = [str(part) for part in location or ()]
    return ".".join(parts[1:]) if len(parts) > 1 else (parts[0] if parts else "body")


def validation_error_response(error: RequestValidationError) -> Response:
    problems = error.errors() or [{"loc": ("body",), "msg": "invalid request"}]
    fields = [{"field": _field_of(p.get("loc")), "message": str(p.get("msg", "invalid"))} for p in problems]
    first = fields[0]
    return json_response(422, error_body(errors.InvalidInput.code, f"{first['field']}: {first['message']}",
                                         first["field"], errors=fields))


def unsupported_content_type_response(_: RequestUnsupportedContentType) -> Response:
    return json_response(415, error_body("unsupported_media_type", "send the body as application/json", "body"))


def _raised_reading_the_body(error: BaseException) -> bool:
    frames = traceback.extract_tb(error.__traceback__)
    return any(frame.filename.endswith("openapi_validation.py") for frame in frames)


def unreadable_body_response(error: ValueError) -> Response:
    """Powertools' body parsing raises a bare ValueError for a body that is not UTF-8 or a multipart
    Content-Type without a boundary: the request's fault (400). A ValueError raised anywhere else is a
    bug and stays one."""
    if not _raised_reading_the_body(error):
        raise error
    return json_response(400, error_body("unreadable_body", "the body cannot be read as its Content-Type says",
                                         "body"))


def install(app: APIGatewayRestResolver) -> None:
    app.exception_handler(errors.SwitchboardError)(domain_error_response)
    app.exception_handler(RequestValidationError)(validation_error_response)
    app.exception_handler(RequestUnsupportedContentType)(unsupported_content_type_response)
    app.exception_handler(ValueError)(unreadable_body_response)

    @app.not_found
    def not_found(_: Exception) -> Response:
        return json_response(404, error_body("route_not_found", "no such route"))
