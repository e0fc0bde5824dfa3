"""Each declared queue with its dead-letter queue: FIFO where declared, the declared visibility timeout and
redrive count, the customer-managed key, TLS only."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.cdk.naming import pascal
from infra.declaration import Queue

DLQ_RETENTION = Duration.days(14)  # the most SQS keeps: time to find the cause and redrive


@dataclass(frozen=True)
class QueuePair:
    spec: Queue
    queue: sqs.Queue
    dlq: sqs.Queue


class Queues(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, queues: tuple[Queue, ...],
                 key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.by_name: dict[str, QueuePair] = {spec.name: self._pair(spec, key) for spec in queues}

    def _pair(self, spec: Queue, key: kms.IKey) -> QueuePair:
        common = dict(
            fifo=spec.fifo or None,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            data_key_reuse=Duration.hours(1),  # fewer KMS calls per message
            enforce_ssl=True,
        )
        if spec.fifo:
            # High-throughput FIFO: order and deduplication per message group (channel + sender).
            common.update(deduplication_scope=sqs.DeduplicationScope.MESSAGE_GROUP,
                          fifo_throughput_limit=sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID)
        dlq = sqs.Queue(self, f"{pascal(spec.name)}Dlq", retention_period=DLQ_RETENTION, **common)
        queue = sqs.Queue(
            self, pascal(spec.name),
            visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count),
            **common,
        )
        return QueuePair(spec=spec, queue=queue, dlq=dlq)
