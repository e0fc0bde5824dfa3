"""cost_accounting: see infra/declaration.py for its trigger.

``message.status_changed`` on our bus: a delivered (or read) message with Meta's pricing is counted once in its
channel's month (switchboard.pricing.accounting). A redelivered event counts nothing more."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchboard.api.entries import BusEvent, bus_consumer

if TYPE_CHECKING:
    from switchboard.services import Services


def _count(wiring: Services, event: BusEvent) -> dict[str, Any]:
    from switchboard.pricing.accounting import count_status

    return {"counted": count_status(wiring, str(event.detail.get("tenant_id") or ""), event.detail)}


logger, metrics, handler = bus_consumer("cost_accounting", _count, prime="switchboard.pricing.accounting")
