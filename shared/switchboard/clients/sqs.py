"""Putting events on SQS in batches of ten, concurrently when there are many, all-or-error."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from switchboard import aws
from switchboard.errors import QueueUnavailable

_BATCH = 10
_MAX_BATCH_BYTES = 250_000  # SQS allows 256 KiB per batch; keep a margin for attributes
_ATTEMPTS = 3
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sqs-send")


@dataclass(frozen=True)
class OutgoingMessage:
    body: str
    group_id: str | None = None
    dedup_id: str | None = None
    delay_seconds: int = 0


def _batches(messages: Sequence[OutgoingMessage]) -> list[list[OutgoingMessage]]:
    batches: list[list[OutgoingMessage]] = [[]]
    size = 0
    for message in messages:
        length = len(message.body.encode())
        if batches[-1] and (len(batches[-1]) == _BATCH or size + length > _MAX_BATCH_BYTES):
            batches.append([])
            size = 0
        batches[-1].append(message)
        size += length
    return [batch for batch in batches if batch]


class Queue:
    def __init__(self, url: str) -> None:
        self.url = url
        self.fifo = url.endswith(".fifo")

    def send_json(self, payload: dict, group_id: str | None = None, dedup_id: str | None = None,
                  delay_seconds: int = 0) -> None:
        self.send_all([OutgoingMessage(json.dumps(payload, separators=(",", ":")), group_id, dedup_id,
                                       delay_seconds)])

    def send_all(self, messages: Sequence[OutgoingMessage]) -> None:
        """Every message is on the queue when this returns; otherwise QueueUnavailable is raised.
        Entries SQS refuses inside a batch are sent again (up to three attempts)."""
        batches = _batches(messages)
        if len(batches) == 1:
            self._send_batch(batches[0])
            return
        for future in [_POOL.submit(self._send_batch, batch) for batch in batches]:
            future.result()

    def retry_after(self, receipt_handle: str, seconds: int) -> None:
        """A received record comes back after ``seconds`` (the send worker's backoff)."""
        try:
            aws.client("sqs").change_message_visibility(QueueUrl=self.url, ReceiptHandle=receipt_handle,
                                                        VisibilityTimeout=max(0, min(int(seconds), 43_200)))
        except (ClientError, BotoCoreError):
            pass  # the queue's own visibility timeout applies instead

    def _send_batch(self, batch: list[OutgoingMessage]) -> None:
        pending = {str(i): message for i, message in enumerate(batch)}
        for _ in range(_ATTEMPTS):
            entries = [self._entry(entry_id, message) for entry_id, message in pending.items()]
            try:
                response = aws.client("sqs").send_message_batch(QueueUrl=self.url, Entries=entries)
            except (ClientError, BotoCoreError) as exc:
                raise QueueUnavailable("could not queue events") from exc
            failed = {f["Id"] for f in response.get("Failed", [])}
            pending = {entry_id: pending[entry_id] for entry_id in failed}
            if not pending:
                return
        raise QueueUnavailable(f"{len(pending)} events were refused by the queue")

    def _entry(self, entry_id: str, message: OutgoingMessage) -> dict:
        entry: dict = {"Id": entry_id, "MessageBody": message.body}
        if self.fifo:
            entry["MessageGroupId"] = message.group_id
            entry["MessageDeduplicationId"] = message.dedup_id
        elif message.delay_seconds:
            entry["DelaySeconds"] = message.delay_seconds
        return entry
