"""On-call sees trouble: every function has an error-rate alarm that someone hears, and one dashboard
plots what the functions count, the queues and the functions' errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.declaration import FUNCTIONS
from tests.infra.stack_view import StackView

pytestmark = pytest.mark.infra


def _error_rate_alarms(stack: StackView) -> list[dict[str, Any]]:
    found = []
    for alarm in stack.of_type("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        expressions = [m.get("Expression", "") for m in props.get("Metrics", [])]
        if any("errors" in e and "invocations" in e for e in expressions):
            found.append(props)
    return found


def test_every_function_has_an_error_rate_alarm_with_an_action(stack: StackView) -> None:
    alarms = _error_rate_alarms(stack)
    assert len(alarms) == len(FUNCTIONS)
    for props in alarms:
        assert props["AlarmActions"] and props["Threshold"] == 5
        metric_names = {m["MetricStat"]["Metric"]["MetricName"] for m in props["Metrics"] if "MetricStat" in m}
        assert metric_names == {"Errors", "Invocations"}


def test_one_dashboard_shows_counts_queues_and_errors(stack: StackView) -> None:
    dashboards = stack.of_type("AWS::CloudWatch::Dashboard")
    assert len(dashboards) == 1
    body = json.dumps(next(iter(dashboards.values()))["Properties"]["DashboardBody"])
    for counted in ("WebhookEventsQueued", "WebhookBadSignature", "InboundDuplicate", "MessageSent",
                    "SendFailed", "ApproximateNumberOfMessagesVisible", "Errors"):
        assert counted in body, counted
