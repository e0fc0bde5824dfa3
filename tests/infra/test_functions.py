"""Every declared function is a Lambda built the way the issue asks, with the triggers it declares."""

from __future__ import annotations

import pytest

from infra.declaration import ENVIRONMENT_OF, FUNCTIONS, RESOURCES, Function, function
from tests.infra.stack_view import StackView, referenced_ids

pytestmark = pytest.mark.infra


def test_every_declared_function_is_one_lambda(stack: StackView) -> None:
    assert sorted(stack.functions()) == sorted(spec.name for spec in FUNCTIONS)
    assert len(stack.of_type("AWS::Lambda::Function")) == len(FUNCTIONS)


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_function_runs_python_312_on_arm64_with_the_shared_layer(stack: StackView, spec: Function) -> None:
    props = stack.function(spec.name)
    (layer,) = stack.of_type("AWS::Lambda::LayerVersion")

    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "handler.handler"
    assert [referenced_ids(ref) for ref in props["Layers"]] == [{layer}]
    assert props["MemorySize"] == spec.memory_mb
    assert props["Timeout"] == spec.timeout_s
    assert props["TracingConfig"] == {"Mode": "Active"}
    (log_group,) = referenced_ids(props["LoggingConfig"]["LogGroup"])
    assert stack.props(log_group)["RetentionInDays"] > 0


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_function_gets_the_environment_of_what_it_uses_and_nothing_else(
        stack: StackView, spec: Function) -> None:
    environment = stack.environment(spec.name)
    resource_variables = set(ENVIRONMENT_OF.values())

    assert environment["POWERTOOLS_SERVICE_NAME"] == spec.name
    assert environment["POWERTOOLS_METRICS_NAMESPACE"] == "Switchboard"
    assert environment["POWERTOOLS_LOG_LEVEL"]
    assert {key for key in environment if key in resource_variables} == {ENVIRONMENT_OF[r] for r in spec.uses}
    if "secrets" in spec.uses:
        assert environment["SECRETS_PREFIX"] == RESOURCES.secrets_prefix


def test_the_shared_layer_is_for_arm64_and_python_312_and_313(stack: StackView) -> None:
    (layer,) = stack.of_type("AWS::Lambda::LayerVersion").values()
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12", "python3.13"]


@pytest.mark.parametrize("spec", [s for s in FUNCTIONS if s.queue], ids=lambda spec: spec.name)
def test_queue_trigger_reports_partial_batch_failures(stack: StackView, spec: Function) -> None:
    fn = stack.functions()[spec.name]
    (mapping,) = [m["Properties"] for m in stack.of_type("AWS::Lambda::EventSourceMapping").values()
                  if fn in referenced_ids(m["Properties"]["FunctionName"])]

    queue = stack.declared_resource(f"queue:{spec.queue.queue}")

    assert referenced_ids(mapping["EventSourceArn"]) == {queue}
    assert mapping["BatchSize"] == spec.queue.batch_size
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_template_sync_runs_on_its_schedule_and_on_template_events_from_our_bus(stack: StackView) -> None:
    spec = function("template_sync")
    fn = stack.functions()["template_sync"]
    (bus,) = stack.of_type("AWS::Events::EventBus")
    rules = [r["Properties"] for r in stack.of_type("AWS::Events::Rule").values()
             if any(fn in referenced_ids(t["Arn"]) for t in r["Properties"]["Targets"])]

    schedules = sorted(r["ScheduleExpression"] for r in rules if "ScheduleExpression" in r)
    assert schedules == sorted(s.expression for s in spec.schedules)
    patterns = [(r["EventPattern"], referenced_ids(r["EventBusName"])) for r in rules if "EventPattern" in r]
    assert patterns == [({"source": [t.source], "detail-type": list(t.detail_types)}, {bus})
                        for t in spec.events]
    assert stack.props(bus)["Name"] == RESOURCES.bus


def test_eventbridge_scheduler_can_invoke_the_campaign_dispatcher_and_operator_api_knows_how(
        stack: StackView) -> None:
    dispatcher = stack.functions()["campaign_dispatch"]
    environment = stack.environment("operator_api")
    (role,) = referenced_ids(environment["SCHEDULER_ROLE_ARN"])
    trust = stack.props(role)["AssumeRolePolicyDocument"]["Statement"]

    assert referenced_ids(environment["SCHEDULER_TARGET_ARN"]) == {dispatcher}
    assert [s["Principal"] for s in trust] == [{"Service": "scheduler.amazonaws.com"}]
    assert any(s.allows("lambda:InvokeFunction") and s.on(dispatcher) for s in stack.statements_of_role(role))
    assert any(s.allows("iam:PassRole") and s.on(role) for s in stack.statements_of("operator_api"))
    assert any(s.allows("scheduler:CreateSchedule") for s in stack.statements_of("operator_api"))
