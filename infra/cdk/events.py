"""EventBridge: the functions' event and schedule triggers.

- ``events`` triggers: a rule matching the source and detail types, on our bus or (for AWS services' events:
  SES sending events, S3's EventBridge notifications) on the account's default bus. S3 events are narrowed
  to the media bucket, whose EventBridge notifications are switched on.
- ``schedules``: a scheduled rule (on the default bus, where schedules live).
- ``scheduler_target`` functions are invoked by EventBridge Scheduler schedules that the campaign endpoints
  create at run time: one role Scheduler assumes to invoke them, a schedule group to create them in, and
  both handed to the functions that manage campaign schedules (the dispatcher among them: it schedules the
  continuation of a long campaign).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra.cdk import nag
from infra.cdk.functions import fixed_name
from infra.cdk.naming import pascal
from infra.declaration import EventTrigger, Function

# operator_api's campaign endpoints create and delete a campaign's schedules; campaign_dispatch schedules its
# own continuation. The declaration has no access level for EventBridge Scheduler yet, so they are named here.
SCHEDULE_MANAGERS = ("operator_api", "campaign_dispatch")
SCHEDULE_GROUP_NAME = "switchboard"  # switchboard.clients.scheduler.GROUP


class Triggers(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, specs: tuple[Function, ...],
                 functions: Mapping[str, lambda_.Function], bus: events.IEventBus, media: s3.Bucket) -> None:
        super().__init__(scope, construct_id)
        self.bus = bus
        self.media = media
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
                    description=f"{spec.name}: {', '.join(trigger.detail_types)} from {trigger.source}"[:512],
                    event_bus=bus if trigger.bus == "switchboard" else None,
                    event_pattern=self._pattern(trigger),
                    targets=[targets.LambdaFunction(fn)],
                )
        scheduled = [spec for spec in specs if spec.scheduler_target]
        if scheduled:
            self._scheduler(scheduled, functions)

    def _pattern(self, trigger: EventTrigger) -> events.EventPattern:
        if trigger.source != "aws.s3":
            return events.EventPattern(source=[trigger.source], detail_type=list(trigger.detail_types))
        # S3 publishes only for buckets that ask it to, on the default bus, for every such bucket of the
        # account: this rule hears the media bucket only.
        # Native CloudFormation, not Bucket.enable_event_bridge_notification(), which deploys a custom
        # resource Lambda (an AWS managed policy, s3:PutBucketNotification on "*") to do the same.
        bucket: s3.CfnBucket = self.media.node.default_child  # type: ignore[assignment]
        bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                event_bridge_enabled=True))
        return events.EventPattern(source=[trigger.source], detail_type=list(trigger.detail_types),
                                   detail={"bucket": {"name": [self.media.bucket_name]}})

    def _scheduler(self, scheduled: list[Function], functions: Mapping[str, lambda_.Function]) -> None:
        if len(scheduled) != 1:
            raise ValueError("SCHEDULER_TARGET_ARN names one function: declare one scheduler_target")
        stack = Stack.of(self)
        target = functions[scheduled[0].name]
        target_arn = stack.format_arn(service="lambda", resource="function",
                                      resource_name=fixed_name(scheduled[0], stack.stack_name),
                                      arn_format=ArnFormat.COLON_RESOURCE_NAME)
        self.role = iam.Role(
            self, "SchedulerRole",
            description="EventBridge Scheduler invokes the campaign dispatcher with this role",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}),
        )
        target.grant_invoke(self.role)
        nag.suppress(self.role, nag.suppression(
            "IAM5", "Function.grant_invoke also covers the function's versions and aliases (<arn>:*); the "
                    "scheduler role can invoke this one function only.",
            applies_to=[nag.regex(r"^Resource::<.*\.Arn>:\*$")]))
        self.group = scheduler.ScheduleGroup(self, "Campaigns", schedule_group_name=SCHEDULE_GROUP_NAME)
        for name in SCHEDULE_MANAGERS:
            fn = functions.get(name)
            if fn is None:
                continue
            fn.add_environment("SCHEDULER_ROLE_ARN", self.role.role_arn)
            fn.add_environment("SCHEDULER_TARGET_ARN", target_arn)
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
