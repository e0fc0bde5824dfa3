"""The inbound queue's contract: one event per record, as webhook_receipt, the email receipt and the media
job put it on the FIFO queue and contact_resolution takes it off. One variant per channel (a pydantic
discriminated union on ``kind``), so an email event carries no WhatsApp fields."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

_MAX_DEDUP_ID = 128


class _Queued(BaseModel):
    tenant_id: str
    channel_id: str
    event_id: str
    group: str
    payload: dict[str, Any]
    # When the receipt took the update (ISO time).
    received_at: str | None = None

    @property
    def dedup_id(self) -> str:
        return sqs_safe_id(self.event_id)

    @property
    def group_id(self) -> str:
        return sqs_safe_id(self.group)

    def body(self) -> str:
        """The queue record's body."""
        return self.model_dump_json(exclude_none=True)


class WhatsAppEvent(_Queued):
    """One update of a WhatsApp webhook (a message, a status, webhook errors, another field), or the job
    that fetches a stored message's media. Coexistence (docs/coexistence.md): ``echo`` is a message the
    business typed in the WhatsApp Business app, ``history`` a slice of one chat of the shared history."""

    kind: Literal["message", "status", "errors", "field", "media", "echo", "history"]
    field: str
    waba_id: str
    contact: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    # The entry's own time when Meta gave one (unix seconds).
    entry_time: int | None = None


class EmailEvent(_Queued):
    """A received mail (its raw message in the media bucket) or an SES event about one we sent."""

    kind: Literal["email", "email_status"]


QueuedEvent = Annotated[WhatsAppEvent | EmailEvent, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[WhatsAppEvent | EmailEvent] = TypeAdapter(QueuedEvent)


def parse_queued(body: str | bytes) -> WhatsAppEvent | EmailEvent:
    """A queue record's body as its variant (pydantic's ValidationError for a body that is neither)."""
    return _ADAPTER.validate_json(body)


def sqs_safe_id(value: str) -> str:
    """SQS group and deduplication ids: at most 128 printable ASCII characters. Anything else (a
    very long or non-ASCII id) is replaced by its SHA-256, which keeps equal ids equal."""
    if len(value) <= _MAX_DEDUP_ID and value.isascii() and value.isprintable() and " " not in value:
        return value
    return hashlib.sha256(value.encode()).hexdigest()
