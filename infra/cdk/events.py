"""EventBridge: the functions' event and schedule triggers.

- ``events`` triggers: a rule matching the source and detail types (and the trigger's filter on the
  detail, when it has one), on our bus or (for AWS services' events:
  SES sending events, S3's EventBridge notifications) on the account's default bus. S3 events are narrowed
  to the media bucket, whose EventBridge notifications are switched on.
- ``schedules``: a scheduled rule (on the default bus, where schedules live).
- ``scheduler_target`` functions are invoked by EventBridge Scheduler schedules made at run time (a
  campaign's start, an SLA timer's due time): one role Scheduler assumes to invoke them, a schedule group to
  create them in, and both handed to the functions that manage each target's schedules (SCHEDULE_MANAGERS:
  the dispatcher schedules the continuation of a long campaign, sla_timers its own timers).

Nothing an event carries is dropped without a trace: every rule target and every campaign schedule retries
(declaration.EVENT_TARGET_RETRY) and then puts the event in the function's dead-letter queue
(``<Function>FailedEvents``); an event that reached the function but failed it (after Lambda's
ASYNC_RETRY_ATTEMPTS) goes to the same queue, as the asynchronous invocation's on-failure destination.
Monitoring alarms on each of these queues.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.cdk import nag
from infra.cdk.bindings import KMS_WILDCARDS
from infra.cdk.functions import ALIAS, fixed_name, live
from infra.cdk.naming import pascal
from infra.cdk.queues import DLQ_RETENTION
from infra.declaration import ASYNC_RETRY_ATTEMPTS, EVENT_TARGET_RETRY, EventTrigger, Function
from infra.event_patterns import rule_pattern

# Each scheduler target, and the functions that make its schedules (SCHEDULER_TARGET_ARN names the one target
# a manager schedules): operator_api's campaign endpoints create and delete a campaign's schedules and
# campaign_dispatch schedules its own continuation; sla_timers schedules its own timers and alerts. The
# declaration has no access level for EventBridge Scheduler yet, so they are named here.
SCHEDULE_MANAGERS: dict[str, tuple[str, ...]] = {
    "campaign_dispatch": ("operator_api", "campaign_dispatch"),
    "sla_timers": ("sla_timers",),
}
SCHEDULE_GROUP_NAME = "switchboard"  # switchboard.clients.scheduler.GROUP


class Triggers(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, specs: tuple[Function, ...],
                 functions: Mapping[str, lambda_.Function], bus: events.IEventBus, media: s3.Bucket,
                 key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.bus = bus
        self.media = media
        self.key = key
        # Declared function name -> the dead-letter queue of its event and schedule targets.
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for spec in specs:
            if not (spec.schedules or spec.events or spec.scheduler_target):
                continue
            fn = functions[spec.name]
            dlq = self._dead_letter_queue(spec, fn)
            for number, schedule in enumerate(spec.schedules, start=1):
                events.Rule(
                    self, f"{pascal(spec.name)}Schedule{number}",
                    description=schedule.description or f"{spec.name}: {schedule.expression}",
                    schedule=events.Schedule.expression(schedule.expression),
                    targets=[self._target(live(fn), dlq)],
                )
            for number, trigger in enumerate(spec.events, start=1):
                events.Rule(
                    self, f"{pascal(spec.name)}Events{number}",
                    description=f"{spec.name}: {', '.join(trigger.detail_types)} from {trigger.source}"[:512],
                    event_bus=bus if trigger.bus == "switchboard" else None,
                    event_pattern=self._pattern(trigger),
                    targets=[self._target(live(fn), dlq)],
                )
        scheduled = [spec for spec in specs if spec.scheduler_target]
        if scheduled:
            self._scheduler(scheduled, functions)

    def _dead_letter_queue(self, spec: Function, fn: lambda_.IFunction) -> sqs.Queue:
        """The queue where the function's events end when EventBridge could not deliver them (after the
        target's retries) or the function failed them (after Lambda's retries): kept 14 days, alarmed."""
        dlq = sqs.Queue(self, f"{pascal(spec.name)}FailedEvents", retention_period=DLQ_RETENTION,
                        encryption=sqs.QueueEncryption.KMS, encryption_master_key=self.key,
                        data_key_reuse=Duration.hours(1), enforce_ssl=True)
        nag.suppress(dlq, nag.suppression(
            "SQS3", "This queue is a dead-letter queue: of EventBridge rule targets and Scheduler schedules "
                    "(their DeadLetterConfig) and of the function's asynchronous invocations (on-failure "
                    "destination), which cdk-nag only recognises in another queue's RedrivePolicy."))
        if not self.dead_letter_queues:
            # EventBridge itself writes to a rule's dead-letter queue, so it must be able to use the key.
            self.key.grant(iam.ServicePrincipal("events.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey")
        self.dead_letter_queues[spec.name] = dlq
        live(fn).configure_async_invoke(  # the alias: what the rules and schedules invoke
            on_failure=destinations.SqsDestination(dlq),
            retry_attempts=ASYNC_RETRY_ATTEMPTS,
            max_event_age=Duration.seconds(EVENT_TARGET_RETRY.maximum_event_age_s),
        )
        return dlq

    @staticmethod
    def _target(fn: lambda_.IFunction, dlq: sqs.IQueue) -> targets.LambdaFunction:
        return targets.LambdaFunction(
            fn, dead_letter_queue=dlq, retry_attempts=EVENT_TARGET_RETRY.maximum_retry_attempts,
            max_event_age=Duration.seconds(EVENT_TARGET_RETRY.maximum_event_age_s))

    def _pattern(self, trigger: EventTrigger) -> events.EventPattern:
        if trigger.source != "aws.s3":
            # the trigger's content filter, if any, on the detail (infra/event_patterns.py builds it for the
            # local runtime and the cost bench too)
            pattern = rule_pattern(trigger.source, trigger.detail_types, trigger.detail)
            return events.EventPattern(source=pattern["source"], detail_type=pattern["detail-type"],
                                       detail=pattern.get("detail"))
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
        unknown = [spec.name for spec in scheduled if spec.name not in SCHEDULE_MANAGERS]
        if unknown:
            raise ValueError(f"SCHEDULE_MANAGERS names no schedule managers of {unknown}")
        stack = Stack.of(self)
        self.role = iam.Role(
            self, "SchedulerRole",
            description="EventBridge Scheduler invokes the scheduler targets (campaign dispatch, SLA timers) "
                        "with this role",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}),
        )
        self.group = scheduler.ScheduleGroup(self, "Campaigns", schedule_group_name=SCHEDULE_GROUP_NAME)
        for spec in scheduled:
            self._scheduler_target(spec, functions, stack)
        # After the grants: the suppressions go on the role's default policy, which the first grant creates.
        nag.suppress(self.role, nag.suppression(
            "IAM5", "Function.grant_invoke also covers the function's versions and aliases (<arn>:*); the "
                    "scheduler role can invoke the scheduler targets only.",
            applies_to=[nag.regex(r"^Resource::<.*\.Arn>:\*$")]), KMS_WILDCARDS)

    def _scheduler_target(self, spec: Function, functions: Mapping[str, lambda_.Function], stack: Stack) -> None:
        """The scheduler role may invoke ``spec``; the functions that make its schedules get its ARN, the
        role to pass, the group, and the dead-letter queue and retry policy of its schedules."""
        target = functions[spec.name]
        target_arn = stack.format_arn(service="lambda", resource="function",
                                      resource_name=f"{fixed_name(spec, stack.stack_name)}:{ALIAS}",
                                      arn_format=ArnFormat.COLON_RESOURCE_NAME)
        live(target).grant_invoke(self.role)
        # Scheduler sends an event it could not deliver to the schedule's dead-letter queue with this role.
        dlq = self.dead_letter_queues[spec.name]
        dlq.grant_send_messages(self.role)
        for name in SCHEDULE_MANAGERS[spec.name]:
            fn = functions.get(name)
            if fn is None:
                continue
            fn.add_environment("SCHEDULER_ROLE_ARN", self.role.role_arn)
            fn.add_environment("SCHEDULER_TARGET_ARN", target_arn)
            fn.add_environment("SCHEDULER_GROUP_NAME", self.group.schedule_group_name)
            # The schedules they make carry the same dead-letter queue and retry policy as the rules.
            fn.add_environment("SCHEDULER_DLQ_ARN", dlq.queue_arn)
            fn.add_environment("SCHEDULER_RETRY_ATTEMPTS", str(EVENT_TARGET_RETRY.maximum_retry_attempts))
            fn.add_environment("SCHEDULER_MAX_EVENT_AGE_S", str(EVENT_TARGET_RETRY.maximum_event_age_s))
            self.role.grant_pass_role(fn)
            self.group.grant_read_schedules(fn)
            self.group.grant_write_schedules(fn)
            self.group.grant_delete_schedules(fn)
            nag.suppress(fn.role, nag.suppression(  # type: ignore[arg-type]
                "IAM5", "Schedules are created at run time (one per campaign, one per running SLA timer or "
                        "alert), so the grant covers the schedules of the "
                        f"{SCHEDULE_GROUP_NAME} group (schedule/<group>/*) only.",
                applies_to=[nag.regex(r"^Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:"
                                      r"<AWS::AccountId>:schedule/.*/\*$")]))
