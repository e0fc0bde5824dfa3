"""Alarms, published to one encrypted SNS topic (subscribe an email or a pager to it after deploying):

- a dead-letter queue holds a message: something failed every retry and needs a look (and a redrive);
- a queue's oldest message is older than all its retries could take: the consumer is stuck or failing.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.cdk.naming import pascal
from infra.cdk.queues import QueuePair


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, queues: Mapping[str, QueuePair],
                 key: kms.IKey) -> None:
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
