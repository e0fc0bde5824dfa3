"""Cost accounting, a consumer of ``message.status_changed`` (function cost_accounting): each message Meta
delivered is counted once in its channel's month, by market, category, type and whether Meta bills it.

Why a consumer and not an ADD on the status's own update: the counter is another item, so it would be a second
request on the hot path (a status costs BatchGetItem + UpdateItem, docs/inbound.md). The event already carries
the compact pricing, the channel and the recipient; the consumer's one transaction (a marker created only if
absent + the ADD) makes a redelivered event, or a ``read`` after its ``delivered``, count nothing more."""

from __future__ import annotations

from typing import Any

from switchboard.pricing.rates import market_of
from switchboard.services import Services
from switchboard.storage.costs import CostStore

# Meta charges a template message when it is delivered; a ``read`` implies delivery (it may come alone).
CHARGED_STATUSES = frozenset({"delivered", "read"})


def count_status(services: Services, tenant_id: str, detail: dict[str, Any]) -> bool:
    """Count the message of one status event; False when there is nothing to count or it was counted."""
    pricing = detail.get("pricing")
    if (not isinstance(pricing, dict) or detail.get("status") not in CHARGED_STATUSES
            or not detail.get("provider_message_id") or not detail.get("channel_id")):
        return False
    month = str(detail.get("at") or "")[:7]
    if len(month) != 7:
        return False
    return CostStore(services.table).count_once(
        tenant_id, str(detail["provider_message_id"]), month, str(detail["channel_id"]),
        market_of(detail.get("recipient")), str(pricing.get("category") or "unknown"),
        str(pricing.get("type") or "regular"), bool(pricing.get("billable")))
