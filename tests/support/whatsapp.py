"""Factories for WhatsApp webhook bodies, signed as Meta signs them."""

from __future__ import annotations

import itertools
import json
from typing import Any

from switchboard.whatsapp.signature import sign

DEMO_PHONE_NUMBER_ID = "106540352242922"
DEMO_WABA_ID = "102290129340398"
DEMO_APP_SECRET = "demo-app-secret"
_counter = itertools.count(1)


def text_message(sender: str = "16505551234", body: str = "Does it come in another color?",
                 wamid: str | None = None, timestamp: int = 1749416383, name: str = "Sheena Nelson",
                 user_id: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"id": wamid or f"wamid.TEST{next(_counter):08d}", "timestamp": str(timestamp),
                               "type": "text", "text": {"body": body}}
    contact: dict[str, Any] = {"profile": {"name": name}}
    if sender:
        message["from"] = sender
        contact["wa_id"] = sender
    if user_id:
        message["from_user_id"] = user_id
        contact["user_id"] = user_id
    return {"contact": contact, "message": message}


def envelope(messages: list[dict[str, Any]] = (), statuses: list[dict[str, Any]] = (),
             phone_number_id: str = DEMO_PHONE_NUMBER_ID, waba_id: str = DEMO_WABA_ID) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
    }
    if messages:
        contacts = {json.dumps(m["contact"], sort_keys=True): m["contact"] for m in messages}
        value["contacts"] = list(contacts.values())
        value["messages"] = [m["message"] for m in messages]
    if statuses:
        value["statuses"] = list(statuses)
    return {"object": "whatsapp_business_account",
            "entry": [{"id": waba_id, "changes": [{"field": "messages", "value": value}]}]}


def status(wamid: str, state: str, recipient: str = "16505551234", timestamp: int = 1749416400,
           error_code: int | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"id": wamid, "status": state, "timestamp": str(timestamp), "recipient_id": recipient}
    if error_code is not None:
        item["errors"] = [{"code": error_code, "title": "Message undeliverable",
                           "error_data": {"details": "Message Undeliverable."}}]
    return item


def signed(body: dict[str, Any] | bytes, secret: str = DEMO_APP_SECRET) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, secret)}
