"""The stack drops nothing without a trace and no trigger takes more than its share: every EventBridge rule
and schedule target, and every campaign schedule, retries by the declared policy and then puts the event in a
dead-letter queue that an alarm watches; asynchronous invocations that fail the function go there too;
queues stay invisible six times as long as their consumer runs; queue triggers are capped."""

from __future__ import annotations

import json

import pytest

from infra.cdk.events import SCHEDULE_MANAGERS
from infra.declaration import (
    ASYNC_RETRY_ATTEMPTS,
    EVENT_TARGET_RETRY,
    FUNCTIONS,
    RESOURCES,
    VISIBILITY_PER_TIMEOUT,
    Function,
)
from tests.infra.stack_view import StackView, referenced_ids

pytestmark = pytest.mark.infra

ASYNC = [spec for spec in FUNCTIONS if spec.events or spec.schedules or spec.scheduler_target]
QUEUED = [spec for spec in FUNCTIONS if spec.queue]


def _failed_events(stack: StackView, name: str) -> str:
    """The queue the function's failed asynchronous invocations go to (its on-failure destination)."""
    config = stack.on_failure_destination(name)["DestinationConfig"]
    (dlq,) = referenced_ids(config["OnFailure"]["Destination"])
    return dlq


def _dlq_of_rules(stack: StackView, name: str) -> set[str]:
    return {dlq for rule in stack.rules_targeting(name) for target in rule["Targets"]
            for dlq in referenced_ids(target["DeadLetterConfig"]["Arn"])}


@pytest.mark.parametrize("spec", [s for s in FUNCTIONS if s.events or s.schedules], ids=lambda s: s.name)
def test_every_event_and_schedule_target_retries_then_keeps_the_event_in_a_dead_letter_queue(
        stack: StackView, spec: Function) -> None:
    rules = stack.rules_targeting(spec.name)
    targets = [target for rule in rules for target in rule["Targets"]]

    assert len(rules) == len(spec.events) + len(spec.schedules)
    assert [t["RetryPolicy"] for t in targets] == [{
        "MaximumRetryAttempts": EVENT_TARGET_RETRY.maximum_retry_attempts,
        "MaximumEventAgeInSeconds": EVENT_TARGET_RETRY.maximum_event_age_s}] * len(targets)
    (dlq,) = _dlq_of_rules(stack, spec.name)
    assert stack.resources[dlq]["Type"] == "AWS::SQS::Queue"


@pytest.mark.parametrize("spec", ASYNC, ids=lambda s: s.name)
def test_a_failed_asynchronous_invocation_goes_to_the_same_dead_letter_queue(
        stack: StackView, spec: Function) -> None:
    config = stack.on_failure_destination(spec.name)
    destination = _failed_events(stack, spec.name)

    assert config["MaximumRetryAttempts"] == ASYNC_RETRY_ATTEMPTS
    assert config["MaximumEventAgeInSeconds"] == EVENT_TARGET_RETRY.maximum_event_age_s
    assert stack.resources[destination]["Type"] == "AWS::SQS::Queue"
    if spec.events or spec.schedules:
        assert _dlq_of_rules(stack, spec.name) == {destination}


@pytest.mark.parametrize("spec", ASYNC, ids=lambda s: s.name)
def test_every_failed_events_queue_is_encrypted_alarmed_and_writable_by_eventbridge_only_for_its_rules(
        stack: StackView, spec: Function) -> None:
    dlq = _failed_events(stack, spec.name)
    (alarm,) = stack.alarms_on(dlq, "ApproximateNumberOfMessagesVisible")
    props = stack.props(dlq)

    assert props["KmsMasterKeyId"]
    assert props["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["AlarmActions"]
    if spec.events or spec.schedules:
        statements = stack.policy_of(dlq, "AWS::SQS::QueuePolicy", "Queues")
        allowed = [s for s in statements if s["Effect"] == "Allow"]
        rules = {lid for lid, rule in stack.of_type("AWS::Events::Rule").items()
                 if rule["Properties"] in stack.rules_targeting(spec.name)}
        assert [s["Principal"] for s in allowed] == [{"Service": "events.amazonaws.com"}] * len(rules)
        assert set().union(*(referenced_ids(s["Condition"]) for s in allowed)) == rules


def test_eventbridge_may_use_the_key_of_the_dead_letter_queues(stack: StackView) -> None:
    (key,) = stack.of_type("AWS::KMS::Key").values()
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert any(s.get("Principal") == {"Service": "events.amazonaws.com"}
               and "kms:GenerateDataKey" in s["Action"] for s in statements)


@pytest.mark.parametrize("target", [spec.name for spec in FUNCTIONS if spec.scheduler_target])
def test_run_time_schedules_get_their_targets_dead_letter_queue_and_the_declared_retry_policy(
        stack: StackView, target: str) -> None:
    dlq = _failed_events(stack, target)
    for name in SCHEDULE_MANAGERS[target]:
        environment = stack.environment(name)
        (role,) = referenced_ids(environment["SCHEDULER_ROLE_ARN"])

        assert referenced_ids(environment["SCHEDULER_DLQ_ARN"]) == {dlq}
        assert environment["SCHEDULER_RETRY_ATTEMPTS"] == str(EVENT_TARGET_RETRY.maximum_retry_attempts)
        assert environment["SCHEDULER_MAX_EVENT_AGE_S"] == str(EVENT_TARGET_RETRY.maximum_event_age_s)
        # Scheduler writes to a schedule's dead-letter queue with the schedule's role.
        assert any(s.allows("sqs:SendMessage") and s.on(dlq) for s in stack.statements_of_role(role))


def test_every_queue_has_a_dead_letter_queue_or_is_one(stack: StackView) -> None:
    queues = set(stack.of_type("AWS::SQS::Queue"))
    redriven = {lid for lid in queues if "RedrivePolicy" in stack.props(lid)}
    dead_letters = {stack.dead_letter_queue_of(lid) for lid in redriven}
    dead_letters |= {_failed_events(stack, spec.name) for spec in ASYNC}

    assert queues == redriven | dead_letters
    assert len(dead_letters) == len(RESOURCES.queues) + len(ASYNC)


@pytest.mark.parametrize("spec", QUEUED, ids=lambda s: s.name)
def test_a_queue_stays_invisible_six_times_as_long_as_its_consumer_runs(
        stack: StackView, spec: Function) -> None:
    visibility = stack.props(stack.event_source_queue(spec.name))["VisibilityTimeout"]
    assert visibility >= VISIBILITY_PER_TIMEOUT * stack.function(spec.name)["Timeout"]


@pytest.mark.parametrize("spec", QUEUED, ids=lambda s: s.name)
def test_a_queue_trigger_starts_at_most_the_declared_concurrency(stack: StackView, spec: Function) -> None:
    fn = stack.invoked(spec.name)
    (mapping,) = [m["Properties"] for m in stack.of_type("AWS::Lambda::EventSourceMapping").values()
                  if fn in referenced_ids(m["Properties"]["FunctionName"])]
    assert spec.queue is not None
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": spec.queue.max_concurrency}
    assert 2 <= spec.queue.max_concurrency <= 1000


def test_the_failed_events_alarms_are_on_the_dashboard_topic(stack: StackView) -> None:
    (topic,) = stack.of_type("AWS::SNS::Topic")
    dlqs = {_failed_events(stack, spec.name) for spec in ASYNC}
    alarms = [a for dlq in dlqs for a in stack.alarms_on(dlq, "ApproximateNumberOfMessagesVisible")]
    assert len(alarms) == len(ASYNC)
    assert all(topic in json.dumps(a["AlarmActions"]) for a in alarms)
