"""Story helpers for sessions and sending: a customer writes, an approved template exists."""

from __future__ import annotations

import itertools
from typing import Any

from switchboard import clock
from switchboard.services import services
from tests.support.whatsapp import envelope, signed, text_message

_wamids = itertools.count(1)


def customer_writes(api, process_inbound, body: str = "Hello?", sender: str = "16505551234") -> str:  # noqa: ANN001
    """A signed webhook with one text message, processed; returns its wamid."""
    wamid = f"wamid.CUST{next(_wamids):06d}"
    raw, headers = signed(envelope([text_message(sender=sender, body=body, wamid=wamid,
                                                 timestamp=int(clock.now().timestamp()))]))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()
    return wamid


def approved_template(name: str = "order_update", language: str = "en_US", status: str = "APPROVED",
                      body: str = "Hi {{1}}, your order {{2}} has shipped.") -> dict[str, Any]:
    """A synced template, stored in the template store's layout."""
    item = {"pk": "T#demo#TPL#wa-demo", "sk": f"{name}#{language}", "tenant_id": "demo", "channel_id": "wa-demo",
            "name": name, "language": language, "status": status, "category": "UTILITY",
            "components": [{"type": "BODY", "text": body}]}
    services().table.put(item)
    return item


TEMPLATE = {"name": "order_update", "language": "en_US", "parameters": ["Jana", "A-1001"]}
