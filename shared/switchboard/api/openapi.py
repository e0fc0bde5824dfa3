"""The whole operator API in one OpenAPI document: every router of every function, whichever Lambda
serves it. Webhook routes are for Meta and the mail providers, not for operators, and are left out."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.app import TITLE, VERSION, build_resolver


def operator_routers() -> list[Router]:
    """Every router an operator's frontend calls, whichever function serves it (infra/declaration.py)."""
    from switchboard.api.routes import (
        campaigns,
        canned_responses,
        channels,
        contacts,
        groups,
        operators,
        reopen,
        sending,
        session_actions,
        session_contact,
        sessions,
        team_sessions,
        template_sync,
        templates,
        webhook_errors,
    )

    return [sessions.router, session_actions.router, session_contact.router, sending.router, reopen.router,
            contacts.router, templates.router, template_sync.router, campaigns.router, channels.router,
            webhook_errors.router, operators.router, groups.router, team_sessions.router,
            canned_responses.router, canned_responses.send_router]


# The refusals every operator route can give, through the one error mapping (switchboard/api/errors.py).
ERROR_RESPONSES = {
    "400": "Malformed request",
    "401": "Missing, expired or forged token",
    "403": "The caller's role may not do this",
    "404": "Not found in the caller's tenant",
    "409": "Conflict with the current state (the `code` says which)",
    "413": "Body too large",
    "422": "Invalid input; `field` names it",
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "stable, machine-readable"},
        "message": {"type": "string"},
        "field": {"type": "string", "description": "the input at fault, for invalid input"},
    },
    "additionalProperties": True,
}


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add what Powertools does not know: the bearer-token security scheme and the documented error
    responses of every operation (they all go through the same error mapping)."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                                "description": "Cognito ID token (locally: make token)"}}
    schema["security"] = [{"bearer": []}]
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_RESPONSES.items():
                # Replaces Powertools' own 422 schema: our validation errors have the common shape.
                responses[status] = {
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return schema


@cache
def openapi_json() -> str:
    raw = build_resolver(operator_routers()).get_openapi_json_schema(title=TITLE, version=VERSION)
    return json.dumps(document(json.loads(raw)))
