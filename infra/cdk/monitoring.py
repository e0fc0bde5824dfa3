"""Alarms, published to one encrypted SNS topic (subscribe an email or a pager to it after deploying),
and one dashboard:

- a dead-letter queue holds a message: something failed every retry and needs a look (and a redrive); that
  is each declared queue's DLQ, and each function's ``FailedEvents`` queue (events and schedules that
  EventBridge could not deliver, or that failed the function after Lambda's retries);
- a queue's oldest message is older than all its retries could take: the consumer is stuck or failing;
- a function's error rate is above 5% for 5 minutes (unhandled errors, not refused input);
- the dashboard shows what the functions count (switchboard/observability.py: received, stored, sent,
  failed, duplicates, bad signatures), the queues and the functions' errors and durations.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.cdk.naming import pascal
from infra.cdk.queues import QueuePair

NAMESPACE = "Switchboard"
ERROR_RATE_PERCENT = 5
# What the dashboard's business row plots: (function, metric) as counted with switchboard.observability.count.
COUNTED = (
    ("webhook_receipt", "WebhookEventsQueued"), ("webhook_receipt", "WebhookBadSignature"),
    ("webhook_receipt", "WebhookQueueFailed"), ("contact_resolution", "InboundDuplicate"),
    ("contact_resolution", "StatusApplied"), ("contact_resolution", "MediaFetchFailed"),
    ("message_send", "MessageQueued"), ("message_send", "MessageSent"), ("message_send", "SendFailed"),
    ("message_send", "SendRetried"), ("message_send", "SendRetriesExhausted"),
)


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, queues: Mapping[str, QueuePair],
                 key: kms.IKey, functions: Mapping[str, lambda_.IFunction] | None = None,
                 failed_events: Mapping[str, sqs.IQueue] | None = None) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Alarms", display_name="Switchboard alarms", master_key=key,
                               enforce_ssl=True)
        # CloudWatch publishes to the encrypted topic, so it must be able to use the key.
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        action = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []
        for name, pair in queues.items():
            dlq_depth = pair.dlq.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM)
            self._alarm(f"{pascal(name)}DlqNotEmpty", dlq_depth, threshold=0, action=action,
                        description=f"{name}: messages in the dead-letter queue (failed every retry)")
            # Older than visibility timeout x receives: beyond what the retries of one message can explain.
            stuck_after = pair.spec.visibility_timeout_s * pair.spec.max_receive_count
            age = pair.queue.metric_approximate_age_of_oldest_message(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM)
            self._alarm(f"{pascal(name)}QueueAge", age, threshold=stuck_after, evaluation_periods=5,
                        description=f"{name}: oldest message older than {stuck_after}s (consumer stuck)",
                        action=action)
        for name, dlq in (failed_events or {}).items():
            depth = dlq.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM)
            self._alarm(f"{pascal(name)}FailedEvents", depth, threshold=0, action=action,
                        description=f"{name}: events or schedules that failed every retry (dead letters)")
        functions = functions or {}
        for name, fn in functions.items():
            rate = cloudwatch.MathExpression(
                expression="100 * errors / MAX([invocations, 1])", period=Duration.minutes(5),
                using_metrics={"errors": fn.metric_errors(statistic=cloudwatch.Stats.SUM),
                               "invocations": fn.metric_invocations(statistic=cloudwatch.Stats.SUM)})
            self._alarm(f"{pascal(name)}ErrorRate", rate, threshold=ERROR_RATE_PERCENT, action=action,
                        description=f"{name}: more than {ERROR_RATE_PERCENT}% of invocations failed")
        self.dashboard = self._dashboard(queues, functions)

    def _dashboard(self, queues: Mapping[str, QueuePair],
                   functions: Mapping[str, lambda_.IFunction]) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name="Switchboard")
        counted = [cloudwatch.Metric(namespace=NAMESPACE, metric_name=metric, dimensions_map={"service": fn},
                                     statistic=cloudwatch.Stats.SUM, period=Duration.minutes(1), label=metric)
                   for fn, metric in COUNTED]
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Messages: received, stored, sent, failed", left=counted[:6], width=12),
            cloudwatch.GraphWidget(title="Sends", left=counted[6:], width=12),
        )
        dashboard.add_widgets(*[
            cloudwatch.GraphWidget(title=f"Queue {name}", width=12, left=[
                pair.queue.metric_approximate_number_of_messages_visible(),
                pair.dlq.metric_approximate_number_of_messages_visible(label="dead-letter")],
                right=[pair.queue.metric_approximate_age_of_oldest_message()])
            for name, pair in queues.items()])
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Function errors", width=12,
                                   left=[fn.metric_errors(label=name) for name, fn in functions.items()]),
            cloudwatch.GraphWidget(title="Function duration p99", width=12,
                                   left=[fn.metric_duration(statistic="p99", label=name)
                                         for name, fn in functions.items()]),
        )
        return dashboard

    def _alarm(self, alarm_id: str, metric: cloudwatch.IMetric, *, threshold: float, description: str,
               action: cloudwatch.IAlarmAction, evaluation_periods: int = 1) -> None:
        alarm = cloudwatch.Alarm(
            self, alarm_id,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms.append(alarm)
