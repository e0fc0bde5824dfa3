"""Routers load when a request first needs them, and nothing is hidden by it: the catalog of routes per
router module is what the routers register, every declared route is served by its function's routers,
and the OpenAPI document has every operator route the declaration has."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra.declaration import FUNCTIONS
from switchboard.api.routes import ROUTES

ROOT = Path(__file__).resolve().parents[2]
# Declared, not built yet: none (issue 15 built POST /channels).
NOT_YET_SERVED: set[str] = set()
# What each handler serves, as its LazyResolver names it.
SERVED_BY = {"operator_api": ["sessions", "session_actions", "session_contact", "contacts", "templates",
                              "campaigns", "channels", "webhook_errors", "history_imports", "events", "webhook_subscriptions",
                              "operators", "groups", "team_sessions",
                              "canned_responses", "saved_filters", "costs", "typing_indicator", "sla_policies",
                              "reports_summary", "csat", "docs"],
             "message_send": ["sending", "canned_responses:send_router"], "session_reopen": ["reopen"], "template_sync": ["template_sync"],
             "webhook_receipt": ["webhooks", "email_webhooks"]}


def registered(module: str) -> set[str]:
    from switchboard.api.lazy import router_of

    router = router_of(module)
    found = set()
    for key in router._routes:  # noqa: SLF001 - Powertools keeps a router's routes there
        rule, methods = key[0], key[1]
        for method in methods:
            found.add(f"{method} " + re.sub(r"<(\w+)>", r"{\1}", rule))
    return found


@pytest.mark.parametrize("module", sorted(ROUTES))
def test_the_catalog_names_exactly_the_routes_a_router_registers(module: str) -> None:
    assert set(ROUTES[module]) == registered(module)


@pytest.mark.parametrize("spec", [s for s in FUNCTIONS if s.routes], ids=lambda s: s.name)
def test_every_declared_route_is_in_the_catalog_of_its_function_s_routers(spec) -> None:
    handler = importlib.import_module(f"functions.{spec.name}.handler")
    catalog = {route for module in handler.app.modules for route in ROUTES[module]}
    declared = {f"{route.method} {route.path}" for route in spec.routes}

    assert handler.app.modules == tuple(SERVED_BY[spec.name])
    assert declared - catalog - NOT_YET_SERVED == set()


def operations(document: dict) -> set[str]:
    return {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}


def test_the_openapi_document_has_every_operator_route_of_the_declaration() -> None:
    from switchboard.api.openapi import openapi_json

    declared = {f"{route.method} {route.path}" for spec in FUNCTIONS for route in spec.routes if route.auth}

    assert declared - operations(json.loads(openapi_json())) == NOT_YET_SERVED


def test_the_openapi_document_has_no_operation_the_declaration_lacks() -> None:
    from switchboard.api.openapi import openapi_json

    declared = {f"{route.method} {route.path}" for spec in FUNCTIONS for route in spec.routes}

    assert operations(json.loads(openapi_json())) - declared == set()


def test_openapi_json_served_by_a_fresh_operator_api_lists_the_rare_routes_too() -> None:
    """A fresh instance whose first request is GET /openapi.json: campaigns' routes (not loaded yet by any
    request) are in the document."""
    code = f"""
import json, sys
sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "shared")!r}]
import functions.operator_api.handler as h
event = {{"resource": "/openapi.json", "path": "/openapi.json", "httpMethod": "GET", "headers": {{}},
         "requestContext": {{"requestId": "r", "stage": "v1"}}, "body": None, "isBase64Encoded": False}}
loaded_before = "switchboard.api.routes.campaigns" in sys.modules
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "operator_api", 512, "r"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:000000000000:function:operator_api"
answer = h.handler(event, Context())
print(json.dumps({{"loaded_before": loaded_before, "paths": sorted(json.loads(answer["body"])["paths"])}}))
"""
    env = {"PATH": "/usr/bin:/bin", "AWS_REGION": "eu-west-1", "POWERTOOLS_SERVICE_NAME": "operator_api",
           "POWERTOOLS_METRICS_DISABLED": "true"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["loaded_before"] is False
    assert "/campaigns/{campaign_id}/start" in result["paths"]


def test_a_fresh_handler_imports_neither_pydantic_nor_boto3() -> None:
    code = f"""
import sys
sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "shared")!r}]
for name in {sorted(spec.name for spec in FUNCTIONS)!r}:  # every declared function, not a list kept by hand
    __import__(f"functions.{{name}}.handler")
print(sorted(m for m in ("pydantic", "boto3", "aws_xray_sdk", "opentelemetry") if m in sys.modules))
"""
    env = {"PATH": "/usr/bin:/bin", "AWS_REGION": "eu-west-1", "POWERTOOLS_METRICS_DISABLED": "true"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          check=False)

    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr
