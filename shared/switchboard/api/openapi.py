"""The whole operator API in one OpenAPI document: every router of every function, whichever Lambda
serves it. Webhook routes are for Meta and the mail providers, not for operators, and are left out."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.app import TITLE, VERSION, build_resolver


def operator_routers() -> list[Router]:
    """Every router an operator's frontend calls, whichever function serves it (infra/declaration.py)."""
    from switchboard.api.routes import (
        campaigns,
        channels,
        contacts,
        reopen,
        sending,
        session_actions,
        session_contact,
        sessions,
        template_sync,
        templates,
        webhook_errors,
    )

    return [sessions.router, session_actions.router, session_contact.router, sending.router, reopen.router,
            contacts.router, templates.router, template_sync.router, campaigns.router, channels.router,
            webhook_errors.router]


@cache
def openapi_json() -> str:
    return build_resolver(operator_routers()).get_openapi_json_schema(title=TITLE, version=VERSION)
