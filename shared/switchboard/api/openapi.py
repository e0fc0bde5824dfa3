"""The whole operator API in one OpenAPI document: every router of every function, whichever Lambda
serves it. Webhook routes are for Meta and the mail providers, not for operators, and are left out.

Powertools generates the paths and schemas from the code; :func:`document` adds what it cannot know: the
bearer-token scheme, the one error shape, and for each operation the refusals it can really give. Those
come from what the operation takes (parameters: 422; a body: 400, 413, 415; a path id: 404), from what every
operator route can meet (401, 429 and the 5xx of API Gateway and Lambda), and from :data:`REFUSALS`, the
403s and 409s (and the odd 404 without an id in the path) that the code behind each operation raises."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.app import TITLE, VERSION, build_resolver


def operator_routers() -> list[Router]:
    """Every router an operator's frontend calls, whichever function serves it (infra/declaration.py)."""
    from switchboard.api.routes import (
        campaigns,
        canned_responses,
        channels,
        csat,
        contacts,
        costs,
        events,
        typing_indicator,
        groups,
        history_imports,
        operators,
        reopen,
        reports_summary,
        saved_filters,
        sending,
        session_actions,
        session_contact,
        sessions,
        sla_policies,
        team_sessions,
        template_sync,
        templates,
        webhook_errors,
        webhook_subscriptions,
    )

    return [sessions.router, session_actions.router, session_contact.router, sending.router, reopen.router,
            contacts.router, templates.router, template_sync.router, campaigns.router, channels.router,
            webhook_errors.router, operators.router, groups.router, team_sessions.router,
            canned_responses.router, canned_responses.send_router, events.router, webhook_subscriptions.router,
            history_imports.router, saved_filters.router, costs.router,
            typing_indicator.router, sla_policies.router,
            reports_summary.router, csat.router]


DESCRIPTIONS = {
    "400": "The body cannot be read as its Content-Type says (`unreadable_body`)",
    "401": "Missing, expired or forged token (`unauthorized`)",
    "403": "The caller's role may not do this (`forbidden`)",
    "404": "Not found in the caller's tenant (`not_found`)",
    "409": "Conflict with the current state (the `code` says which)",
    "413": "Body larger than 10 MB (`payload_too_large`)",
    "415": "The body is not application/json (`unsupported_media_type`)",
    "422": "Invalid input (`validation_error`): `field` names the first, `errors[]` lists them all",
    "429": "Too many requests: the API's throttle (retry after a pause)",
    "500": "Internal error",
    "502": "The function failed (API Gateway's `Bad Gateway`)",
    "503": "A dependency is unavailable or a write lost a race (retry)",
    "504": "The function did not answer in time (API Gateway's timeout)",
}
EVERY_OPERATION = ("401", "429", "500", "502", "503", "504")

# What the code behind an operation raises beyond what its shape implies (see the module's docstring).
REFUSALS: dict[str, tuple[int, ...]] = {
    "POST /sessions": (404, 409),
    "POST /sessions/{session_id}/messages": (409,),
    "POST /sessions/{session_id}/reopen": (409,),
    "POST /sessions/{session_id}/assign": (409,),
    "POST /sessions/{session_id}/resolve": (403, 409),
    "POST /sessions/{session_id}/read": (409,),
    "POST /sessions/{session_id}/no-reply-needed": (409,),
    "PUT /sessions/{session_id}/tags": (409,),
    "POST /sessions/{session_id}/notes": (409,),
    "PUT /sessions/{session_id}/contact": (409,),
    "DELETE /sessions/{session_id}/contact": (409,),
    "POST /contacts": (404, 409),
    "PATCH /contacts/{contact_id}": (409,),
    "DELETE /contacts/{contact_id}": (403, 409),
    "POST /contacts/{contact_id}/identifiers": (409,),
    "DELETE /contacts/{contact_id}/identifiers/{kind}/{value}": (409,),
    "POST /contacts/{contact_id}/merge": (403, 409),
    "POST /contacts/{contact_id}/block": (409,),
    "DELETE /contacts/{contact_id}/block": (409,),
    "POST /contacts/{contact_id}/notes": (409,),
    "POST /contacts/{contact_id}/anonymize": (403, 409),
    "PUT /contact-attributes": (403,),
    "GET /templates": (404,),
    "POST /templates/sync": (403, 404),
    "POST /campaigns": (403,),
    "POST /campaigns/{campaign_id}/recipients": (403, 409),
    "POST /campaigns/{campaign_id}/start": (403, 409),
    "POST /campaigns/{campaign_id}/pause": (403, 409),
    "POST /campaigns/{campaign_id}/resume": (403, 409),
    "POST /campaigns/{campaign_id}/cancel": (403, 409),
    "GET /channels": (403,),
    "POST /channels": (403, 409),
    "PATCH /channels/{channel_id}": (403, 409),
    "DELETE /channels/{channel_id}": (403,),
    "GET /webhook-errors": (403,),
    # the team (docs/team.md)
    "POST /operators": (403, 409),
    "PATCH /operators/{operator_id}": (403, 409),
    "DELETE /operators/{operator_id}": (403, 409),
    "PUT /operators/me/presence": (404,),
    "POST /groups": (403, 409),
    "PATCH /groups/{group_id}": (403, 409),
    "DELETE /groups/{group_id}": (403, 409),
    "PUT /routing-rules": (403,),
    "PUT /channels/{channel_id}/business-hours": (403,),
    "POST /sessions/{session_id}/take": (403, 409),
    "POST /sessions/{session_id}/transfer": (403, 409),
    "POST /canned-responses": (403, 409),
    "PATCH /canned-responses/{response_id}": (403, 409),
    "DELETE /canned-responses/{response_id}": (403,),
    "POST /sla-policies": (403, 409),
    "PATCH /sla-policies/{policy_id}": (403, 404),
    "DELETE /sla-policies/{policy_id}": (403, 404),
    "POST /canned-responses/{response_id}/send": (403, 409),
}

FIELD_ERROR_SCHEMA = {
    "type": "object",
    "title": "FieldError",
    "required": ["field", "message"],
    "properties": {
        "field": {"type": "string", "description": "dotted path of the input at fault, e.g. `query.limit`, "
                                                   "`body.template.language`"},
        "message": {"type": "string"},
    },
}
ERROR_SCHEMA = {
    "type": "object",
    "title": "Error",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "stable, machine-readable (`validation_error`, `not_found`, "
                                                  "`window_closed`, ...)"},
        "message": {"type": "string"},
        "field": {"type": "string", "description": "for invalid input: the first input at fault"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"},
                   "description": "for invalid input (`validation_error`): every input at fault"},
    },
    "additionalProperties": True,
}
# Powertools' own validation error schemas: ours replace them (one shape, the Error above).
_POWERTOOLS_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def refusals_of(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses an operation can give, in order."""
    codes = set(EVERY_OPERATION)
    parameters = operation.get("parameters", [])
    if parameters or "requestBody" in operation:
        codes.add("422")
    if "requestBody" in operation:
        codes.update(("400", "413", "415"))
    if any(p.get("in") == "path" for p in parameters):
        codes.add("404")
    codes.update(str(code) for code in REFUSALS.get(f"{method.upper()} {path}", ()))
    return sorted(codes)


def _error_response(status: str) -> dict[str, Any]:
    return {"description": DESCRIPTIONS[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add what Powertools does not know (see the module's docstring)."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in _POWERTOOLS_ERROR_SCHEMAS:
        schemas.pop(name, None)
    schemas["Error"] = ERROR_SCHEMA
    schemas["FieldError"] = FIELD_ERROR_SCHEMA
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                                "description": "Cognito ID token (locally: make token)"}}
    schema["security"] = [{"bearer": []}]
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in [s for s in responses if s.startswith(("4", "5"))]:
                del responses[status]  # Powertools' default 422 (its own shape): replaced below
            for status, response in responses.items():
                if status == "204":
                    response.pop("content", None)  # no content, and nothing for a client to parse
            for status in refusals_of(method, path, operation):
                responses[status] = _error_response(status)
            operation["responses"] = dict(sorted(responses.items()))
    return schema


def name_operations(app: APIGatewayRestResolver) -> None:
    """Each operation is named after the function that serves it (``list_sessions``, not Powertools'
    ``list_sessions_sessions_get``): what generated clients call their methods."""
    routes = [*app._static_routes, *app._dynamic_routes]  # noqa: SLF001 - Powertools keeps no public list
    names = [route.func.__name__ for route in routes if route.include_in_schema]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"two routes share a function name: {duplicates}")
    for route in routes:
        route.operation_id = route.func.__name__


@cache
def openapi_json() -> str:
    app = build_resolver(operator_routers())
    name_operations(app)
    raw = app.get_openapi_json_schema(title=TITLE, version=VERSION)
    return json.dumps(document(json.loads(raw)))
