"""Every declared function is a Lambda built the way the issue asks, with the triggers it declares."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.cdk.events import SCHEDULE_MANAGERS
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
def test_function_logs_json_without_lambdas_start_and_report_lines(stack: StackView, spec: Function) -> None:
    logging = stack.function(spec.name)["LoggingConfig"]

    assert logging["LogFormat"] == "JSON"
    assert logging["ApplicationLogLevel"] == "INFO"
    assert logging["SystemLogLevel"] == "WARN"


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
    fn = stack.invoked(spec.name)
    (mapping,) = [m["Properties"] for m in stack.of_type("AWS::Lambda::EventSourceMapping").values()
                  if fn in referenced_ids(m["Properties"]["FunctionName"])]

    queue = stack.declared_resource(f"queue:{spec.queue.queue}")

    assert referenced_ids(mapping["EventSourceArn"]) == {queue}
    assert mapping["BatchSize"] == spec.queue.batch_size
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


EVENTED = [spec for spec in FUNCTIONS if spec.events or spec.schedules]


@pytest.mark.parametrize("spec", EVENTED, ids=lambda spec: spec.name)
def test_function_runs_on_its_declared_schedules_and_events(stack: StackView, spec: Function) -> None:
    fn = stack.invoked(spec.name)
    (bus,) = stack.of_type("AWS::Events::EventBus")
    rules = [r["Properties"] for r in stack.of_type("AWS::Events::Rule").values()
             if any(fn in referenced_ids(t["Arn"]) for t in r["Properties"]["Targets"])]
    expected = []
    for trigger in spec.events:
        pattern = {"source": [trigger.source], "detail-type": list(trigger.detail_types)}
        if trigger.detail:  # the trigger's filter on the detail (infra/event_patterns.py)
            pattern["detail"] = dict(trigger.detail)
        if trigger.source == "aws.s3":  # the media bucket's objects only, not every bucket of the account
            pattern["detail"] = {"bucket": {"name": [{"Ref": stack.declared_resource("bucket:media")}]}}
        expected.append(json.dumps([pattern, [bus] if trigger.bus == "switchboard" else []], sort_keys=True))

    schedules = sorted(r["ScheduleExpression"] for r in rules if "ScheduleExpression" in r)
    assert schedules == sorted(s.expression for s in spec.schedules)
    found = [json.dumps([r["EventPattern"], sorted(referenced_ids(r.get("EventBusName", "")))],
                        sort_keys=True)
             for r in rules if "EventPattern" in r]
    assert sorted(found) == sorted(expected)


def test_our_bus_has_the_declared_name(stack: StackView) -> None:
    (bus,) = stack.of_type("AWS::Events::EventBus").values()
    assert bus["Properties"]["Name"] == RESOURCES.bus


def test_s3_publishes_the_media_buckets_events_when_a_function_listens_to_them(stack: StackView) -> None:
    listens = any(t.source == "aws.s3" for spec in FUNCTIONS for t in spec.events)
    media = stack.props(stack.declared_resource("bucket:media"))
    enabled = media.get("NotificationConfiguration", {}).get("EventBridgeConfiguration", {})
    assert enabled.get("EventBridgeEnabled", False) is listens


@pytest.mark.parametrize("target", [spec.name for spec in FUNCTIONS if spec.scheduler_target])
def test_eventbridge_scheduler_can_invoke_each_target_and_its_schedule_managers_know_how(
        stack: StackView, target: str) -> None:
    target_name = stack.function(target)["FunctionName"]
    managers = [name for name in SCHEDULE_MANAGERS[target] if name in stack.functions()]
    assert managers
    for name in managers:
        environment = stack.environment(name)
        (role,) = referenced_ids(environment["SCHEDULER_ROLE_ARN"])
        trust = stack.props(role)["AssumeRolePolicyDocument"]["Statement"]
        statements = stack.statements_of(name)

        assert json.dumps(environment["SCHEDULER_TARGET_ARN"]).endswith(f':function:{target_name}:live"]]}}')
        assert [s["Principal"] for s in trust] == [{"Service": "scheduler.amazonaws.com"}]
        assert any(s.allows("lambda:InvokeFunction") and s.on(stack.invoked(target))
                   for s in stack.statements_of_role(role))
        assert any(s.allows("iam:PassRole") and s.on(role) for s in statements)
        assert any(s.allows("scheduler:CreateSchedule") for s in statements)


def test_ses_reports_the_declared_sending_events_to_the_default_bus(stack: StackView) -> None:
    declared = {t for spec in FUNCTIONS for trigger in spec.events if trigger.source == "aws.ses"
                for t in trigger.detail_types}
    (destination,) = stack.of_type("AWS::SES::ConfigurationSetEventDestination").values()
    props = destination["Properties"]["EventDestination"]

    assert len(props["MatchingEventTypes"]) == len(declared)
    assert json.dumps(props["EventBridgeDestination"]["EventBusArn"]).endswith(':event-bus/default"]]}')


def _message_received_patterns(stack: StackView, name: str) -> list[dict[str, Any]]:
    return [r["EventPattern"] for r in stack.rules_targeting(name)
            if "message.received" in r.get("EventPattern", {}).get("detail-type", [])]


def test_the_survey_hears_only_survey_picks(stack: StackView) -> None:
    assert _message_received_patterns(stack, "csat_survey") == [
        {"source": ["switchboard"], "detail-type": ["message.received"], "detail": {"survey_reply": [True]}}]


def test_the_sla_timers_hear_no_blocked_senders_message(stack: StackView) -> None:
    assert [p.get("detail") for p in _message_received_patterns(stack, "sla_timers")] == [{"suppressed": [False]}]


def test_campaign_replies_hear_no_email(stack: StackView) -> None:
    assert [p.get("detail") for p in _message_received_patterns(stack, "campaign_dispatch")] == [
        {"kind": [{"anything-but": ["email"]}]}]


@pytest.mark.parametrize("name", ["report_aggregation", "conversation_index", "realtime_fanout"])
def test_the_consumers_of_every_message_hear_every_message(stack: StackView, name: str) -> None:
    assert [p.get("detail") for p in _message_received_patterns(stack, name)] == [None]
