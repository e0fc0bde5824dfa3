"""EventBridge: the Switchboard bus, and the functions' event and schedule triggers.

- ``events`` triggers: a rule on our bus matching the source and detail types.
- ``schedules``: a scheduled rule (on the default bus, where schedules live).
- ``scheduler_target`` functions are invoked by EventBridge Scheduler schedules that the campaign endpoints
  create at run time: one role Scheduler assumes to invoke them, a schedule group to create them in, and
  both handed to the functions that manage campaign schedules.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra.cdk import nag
from infra.cdk.naming import pascal
from infra.declaration import Function

# The campaign endpoints (POST/DELETE of a campaign's schedule) live in operator_api. The declaration has no
# access level for EventBridge Scheduler yet, so the functions that manage schedules are named here.
SCHEDULE_MANAGERS = ("operator_api",)
SCHEDULE_GROUP_NAME = "switchboard-campaigns"


class Triggers(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, specs: tuple[Function, ...],
                 functions: Mapping[str, lambda_.Function], bus: events.IEventBus) -> None:
        super().__init__(scope, construct_id)
        for spec in specs:
            fn = functions[spec.name]
            for number, schedule in enumerate(spec.schedules, start=1):
                events.Rule(
                    self, f"{pascal(spec.name)}Schedule{number}",
                    description=schedule.description or f"{spec.name}: {schedule.expression}",
                    schedule=events.Schedule.expression(schedule.expression),
                    targets=[targets.LambdaFunction(fn)],
                )
            for number, trigger in enumerate(spec.events, start=1):
                events.Rule(
                    self, f"{pascal(spec.name)}Events{number}",
                    description=f"{spec.name}: {', '.join(trigger.detail_types)} from {trigger.source}",
                    event_bus=bus,
                    event_pattern=events.EventPattern(source=[trigger.source],
                                                      detail_type=list(trigger.detail_types)),
                    targets=[targets.LambdaFunction(fn)],
                )
        scheduled = [functions[spec.name] for spec in specs if spec.scheduler_target]
        if scheduled:
            self._scheduler(scheduled, [functions[name] for name in SCHEDULE_MANAGERS if name in functions])

    def _scheduler(self, scheduled: list[lambda_.Function], managers: list[lambda_.Function]) -> None:
        if len(scheduled) != 1:
            raise ValueError("SCHEDULER_TARGET_ARN names one function: declare one scheduler_target")
        account = Stack.of(self).account
        self.role = iam.Role(
            self, "SchedulerRole",
            description="EventBridge Scheduler invokes the campaign dispatcher with this role",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": account}}),
        )
        for fn in scheduled:
            fn.grant_invoke(self.role)
        self.group = scheduler.ScheduleGroup(self, "Campaigns", schedule_group_name=SCHEDULE_GROUP_NAME)
        nag.suppress(self.role, nag.suppression(
            "IAM5", "Function.grant_invoke also covers the function's versions and aliases (<arn>:*); the "
                    "scheduler role can invoke this one function only.",
            applies_to=[nag.regex(r"^Resource::<.*\.Arn>:\*$")]))
        for fn in managers:
            fn.add_environment("SCHEDULER_ROLE_ARN", self.role.role_arn)
            fn.add_environment("SCHEDULER_TARGET_ARN", scheduled[0].function_arn)
            fn.add_environment("SCHEDULER_GROUP_NAME", self.group.schedule_group_name)
            self.role.grant_pass_role(fn)
            self.group.grant_read_schedules(fn)
            self.group.grant_write_schedules(fn)
            self.group.grant_delete_schedules(fn)
            nag.suppress(fn.role, nag.suppression(  # type: ignore[arg-type]
                "IAM5", "Campaign schedules are created at run time, one per campaign, so the grant covers "
                        f"the schedules of the {SCHEDULE_GROUP_NAME} group (schedule/<group>/*) only.",
                applies_to=[nag.regex(r"^Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:"
                                      r"<AWS::AccountId>:schedule/.*/\*$")]))
