"""The ``user_id_update`` webhook field: a customer's business-scoped user id (BSUID) was replaced (Meta
regenerates it when the customer changes phone number). Each update becomes the same queue event as
the ``user_changed_user_id`` system message, so both move the customer's thread to the new id by one
rule (inbound/resolution.py); the update's own payload travels with it (``user_id_update``), and the
event is grouped with the customer's messages (their phone id, or the previous BSUID), so it is applied in their order.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from switchboard.domain.inbound_queue import WhatsAppEvent
from switchboard.domain.messages import USER_ID_CHANGED

USER_ID_UPDATE_FIELD = "user_id_update"


def split_user_id_updates(value: dict[str, Any], common: dict[str, Any], channel_id: str) -> list[WhatsAppEvent]:
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else None
    events = []
    for update in value.get("user_id_update") or []:
        ids = update.get("user_id") if isinstance(update, dict) else None
        if not isinstance(ids, dict) or not ids.get("previous") or not ids.get("current"):
            continue
        previous, current = str(ids["previous"]), str(ids["current"])
        digest = hashlib.sha256(json.dumps(update, sort_keys=True).encode()).hexdigest()[:24]
        payload: dict[str, Any] = {
            "id": f"user_id_update:{digest}", "type": "system", "from_user_id": previous,
            "system": {"type": USER_ID_CHANGED, "user_id": current, "previous_user_id": previous,
                       "body": str(update.get("detail") or f"User id changed from {previous} to {current}")},
            "user_id_update": update}
        if update.get("timestamp") is not None:
            payload["timestamp"] = str(update["timestamp"])
        if update.get("wa_id"):
            payload["from"] = str(update["wa_id"])
        sender = payload.get("from") or previous  # the group the customer's messages are in
        events.append(WhatsAppEvent(kind="message", event_id=payload["id"], group=f"{channel_id}:{sender}",
                                    payload=payload, metadata=metadata, **common))
    return events
