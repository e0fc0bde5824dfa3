"""cdk-nag's AwsSolutions checks find no unsuppressed error, suppressions are narrow, cfn-lint is clean."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.stack_view import StackView

pytestmark = pytest.mark.infra


def test_cdk_nag_finds_no_unsuppressed_error(synthesized: dict[str, Any]) -> None:
    assert synthesized["nag_errors"] == []


def test_cdk_nag_finds_no_unsuppressed_warning(synthesized: dict[str, Any]) -> None:
    assert synthesized["nag_warnings"] == []


def _suppressions(stack: StackView) -> list[tuple[str, dict[str, Any]]]:
    return [(lid, rule) for lid, res in stack.resources.items()
            for rule in res.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])]


def test_every_suppression_says_why(stack: StackView) -> None:
    suppressions = _suppressions(stack)
    assert suppressions
    assert [(lid, rule["id"]) for lid, rule in suppressions if len(rule["reason"]) < 40] == []


def test_wildcard_suppressions_name_the_findings_they_cover(stack: StackView) -> None:
    """A blanket IAM5 (or IAM4) suppression would hide the next wildcard someone adds."""
    blanket = [(lid, rule["id"]) for lid, rule in _suppressions(stack)
               if rule["id"] in {"AwsSolutions-IAM5", "AwsSolutions-IAM4"} and not rule.get("applies_to")]
    assert blanket == []


def test_only_the_declared_open_routes_skip_the_authorizer_rules(stack: StackView) -> None:
    """The open REST methods (the API description, CORS preflights) and the HTTP API's webhook routes."""
    open_methods = {lid for lid, m in stack.of_type("AWS::ApiGateway::Method").items()
                    if m["Properties"]["AuthorizationType"] == "NONE"}
    # and a WebSocket API's routes after $connect (API Gateway authorizes at $connect only)
    open_methods |= {lid for lid, r in stack.of_type("AWS::ApiGatewayV2::Route").items()
                     if r["Properties"].get("AuthorizationType", "NONE") == "NONE"}
    suppressed = {lid for lid, rule in _suppressions(stack)
                  if rule["id"] in {"AwsSolutions-APIG4", "AwsSolutions-COG4"}}
    assert suppressed == open_methods


def test_cfn_lint_is_clean(synthesized: dict[str, Any]) -> None:
    from cfnlint.api import lint

    matches = [m for deployed in synthesized["deployed_templates"] for m in lint(json.dumps(deployed))]
    assert [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches] == []


def test_every_template_stays_under_cloudformations_500_resources(synthesized: dict[str, Any]) -> None:
    assert max(len(t["Resources"]) for t in synthesized["deployed_templates"]) < 500
