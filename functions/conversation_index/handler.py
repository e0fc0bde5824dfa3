"""conversation_index: see infra/declaration.py for its triggers.

Domain events on our bus (messages received and sent, notes, sessions created, contacts changed or
anonymised) keep the conversation search's index (docs/search.md), off the inbound hot path. One call into
switchboard.sessions.search per event; every write is idempotent, so EventBridge's retries are safe and
what still fails lands in the function's dead-letter queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchboard.api.entries import BusEvent, bus_consumer

if TYPE_CHECKING:
    from switchboard.services import Services


def _index(wiring: Services, event: BusEvent) -> dict[str, Any]:
    from switchboard.sessions.search import handle

    # no log line per event: CloudWatch bills its bytes on every message (docs/search.md)
    return {"entries": handle(wiring, event.detail_type, event.detail)}


logger, metrics, handler = bus_consumer("conversation_index", _index, prime="switchboard.sessions.search")
