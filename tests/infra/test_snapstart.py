"""SnapStart where the declaration asks for it, and every trigger on a published version's alias."""

from __future__ import annotations

import pytest

from infra.declaration import FUNCTIONS, Function
from tests.infra.stack_view import StackView, referenced_ids

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_snapstart_is_on_exactly_where_declared(stack: StackView, spec: Function) -> None:
    expected = {"ApplyOn": "PublishedVersions"} if spec.snapstart else None

    assert stack.function(spec.name).get("SnapStart") == expected


def test_the_latency_bound_functions_declare_snapstart() -> None:
    declared = {spec.name for spec in FUNCTIONS if spec.snapstart}

    assert {"operator_api", "webhook_receipt"} <= declared


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_every_function_has_a_live_alias_on_a_published_version_of_itself(stack: StackView,
                                                                        spec: Function) -> None:
    fn = stack.functions()[spec.name]
    alias = stack.props(stack.invoked(spec.name))
    (version,) = referenced_ids(alias["FunctionVersion"])

    assert stack.resources[version]["Type"] == "AWS::Lambda::Version"
    assert referenced_ids(stack.props(version)["FunctionName"]) == {fn}


def test_no_trigger_invokes_an_unpublished_function(stack: StackView) -> None:
    functions = set(stack.functions().values())
    invokers = {**stack.of_type("AWS::Lambda::EventSourceMapping"), **stack.of_type("AWS::Lambda::Permission")}
    rules = stack.of_type("AWS::Events::Rule")

    named = {lid: referenced_ids(r["Properties"]["FunctionName"]) for lid, r in invokers.items()}
    targeted = {lid: referenced_ids([t["Arn"] for t in r["Properties"]["Targets"]]) for lid, r in rules.items()}
    assert {lid: refs & functions for lid, refs in {**named, **targeted}.items() if refs & functions} == {}


def test_routes_invoke_the_alias(stack: StackView) -> None:
    routed = [route for route in stack.routes() if route.method != "OPTIONS"]

    assert routed
    assert all(route.function is not None for route in routed)


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_a_replaced_version_is_deleted_not_kept_with_its_billed_snapshot(stack: StackView, spec: Function) -> None:
    (version,) = referenced_ids(stack.props(stack.invoked(spec.name))["FunctionVersion"])

    assert stack.resources[version].get("DeletionPolicy") == "Delete"
