"""EventBridge Scheduler: the one-off or recurring schedule that triggers a campaign's dispatch.

Every campaign schedule lives in the group ``switchboard`` (created by the stack; locally by the runtime)
and invokes campaign_dispatch (``SCHEDULER_TARGET_ARN``) through the scheduler's role with the input
``{"tenant_id", "campaign_id"}``. A schedule retries a failed delivery by the stack's retry policy
(``SCHEDULER_RETRY_ATTEMPTS``, ``SCHEDULER_MAX_EVENT_AGE_S``: declaration.EVENT_TARGET_RETRY) and then puts
the event in the dead-letter queue ``SCHEDULER_DLQ_ARN``, where an alarm finds it: a campaign never fails to
start without a trace."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from switchboard import aws

GROUP = "switchboard"


@dataclass(frozen=True)
class DeliveryPolicy:
    """What the scheduler does when it cannot invoke the target: retry, then the dead-letter queue."""

    dead_letter_arn: str
    maximum_retry_attempts: int
    maximum_event_age_s: int


@dataclass(frozen=True)
class ScheduleSpec:
    """``expression`` is EventBridge's: ``at(yyyy-mm-ddThh:mm:ss)`` or ``cron(m h dom mon dow year)``."""

    name: str
    expression: str
    time_zone: str
    payload: dict[str, Any]
    enabled: bool = True
    one_off: bool = False  # deleted by the scheduler once it has fired


class Scheduler:
    def __init__(self, target_arn: str, role_arn: str, delivery: DeliveryPolicy, group: str = GROUP) -> None:
        self.target_arn = target_arn
        self.role_arn = role_arn
        self.delivery = delivery
        self.group = group

    def _arguments(self, spec: ScheduleSpec) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "Name": spec.name, "GroupName": self.group, "ScheduleExpression": spec.expression,
            "ScheduleExpressionTimezone": spec.time_zone, "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED" if spec.enabled else "DISABLED",
            "Target": {"Arn": self.target_arn, "RoleArn": self.role_arn,
                       "Input": json.dumps(spec.payload, separators=(",", ":")),
                       "RetryPolicy": {"MaximumRetryAttempts": self.delivery.maximum_retry_attempts,
                                       "MaximumEventAgeInSeconds": self.delivery.maximum_event_age_s},
                       "DeadLetterConfig": {"Arn": self.delivery.dead_letter_arn}},
        }
        if spec.one_off:
            arguments["ActionAfterCompletion"] = "DELETE"
        return arguments

    def put(self, spec: ScheduleSpec) -> None:
        """Create the schedule, or replace it when it exists."""
        client = aws.client("scheduler")
        arguments = self._arguments(spec)
        try:
            client.update_schedule(**arguments)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            try:
                client.create_schedule(**arguments)
            except ClientError as again:  # created by a concurrent call in between: replace it
                if again.response["Error"]["Code"] != "ConflictException":
                    raise
                client.update_schedule(**arguments)

    def delete(self, name: str) -> None:
        """Delete the schedule; one already gone (fired and deleted, or never made) is fine."""
        try:
            aws.client("scheduler").delete_schedule(Name=name, GroupName=self.group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise

    def get(self, name: str) -> dict[str, Any] | None:
        try:
            return aws.client("scheduler").get_schedule(Name=name, GroupName=self.group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            return None
