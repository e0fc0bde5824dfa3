"""The simulator's coexistence webhooks (docs/coexistence.md): a number onboarded from the WhatsApp Business
app sends what Meta documents for it, signed with the app secret:

- ``smb_message_echoes``: a message the business typed in the app (``value.message_echoes[]``);
- ``history``: the shared chat history in phases (0: the onboarding day, 1: days 1-90, 2: days 90-180), each
  phase in chunks (``chunk_order``) with the overall ``progress`` (100 on the last), or ``errors``
  (2593109) when the business declined to share it;
- ``smb_app_state_sync``: the app's address book (``state_sync[]``: add or remove a contact).

Control endpoint (under the mount): ``POST /_coexistence/{echo|history|history_declined|state_sync}`` with
``phone_number_id`` and the kind's fields as JSON emits the webhook and answers what it posted.
"""

from __future__ import annotations

import secrets
from typing import Any

from switchboard import clock

_PHASE_DAYS = ((0, 1), (1, 90), (90, 180))
HISTORY_DECLINED = 2593109


def _body(number: dict[str, str], phone_number_id: str, field: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"object": "whatsapp_business_account", "entry": [{"id": number["waba_id"], "changes": [{
        "field": field, "value": {"messaging_product": "whatsapp", "metadata": {
            "display_phone_number": number["display_phone_number"], "phone_number_id": phone_number_id},
            **value}}]}]}


def _wamid() -> str:
    return "wamid.SIM" + secrets.token_hex(12).upper()


def echo(number: dict[str, str], phone_number_id: str, to: str, text: str, wamid: str | None = None,
         timestamp: int | None = None) -> dict[str, Any]:
    """A text the business typed in the app to ``to`` (Meta gives the number as typed, with its '+')."""
    return _body(number, phone_number_id, "smb_message_echoes", {"message_echoes": [{
        "from": number["display_phone_number"], "to": to if to.startswith("+") else f"+{to}",
        "id": wamid or _wamid(), "timestamp": str(timestamp or int(clock.now().timestamp())),
        "type": "text", "text": {"body": text}}]})


def history(number: dict[str, str], phone_number_id: str, chats: dict[str, list[dict[str, Any]]],
            chunk_messages: int = 200, onboarded_at: int | None = None) -> list[dict[str, Any]]:
    """The history webhooks of ``chats`` ({customer: [{"from_customer": bool, "text": str, "days_ago":
    float, "media_id"?: str}, ...]}): one webhook per chunk, messages placed in their phase by age, chunks of
    at most ``chunk_messages`` messages, ``progress`` rising to 100 on the last chunk Meta sends. A message
    with a ``media_id`` comes first as a ``media_placeholder``; when it is under 14 days old, one more webhook
    at the end names it again as an image with its media id (as Meta sends the recent media separately)."""
    now = onboarded_at or int(clock.now().timestamp())
    phases: list[list[tuple[str, dict[str, Any]]]] = [[], [], []]
    media: list[tuple[str, dict[str, Any]]] = []
    for customer, messages in chats.items():
        for message in messages:
            age = float(message.get("days_ago", 0))
            phase = next(p for p, (_, end) in enumerate(_PHASE_DAYS) if age < end or p == 2)
            item: dict[str, Any] = {
                "from": customer if message.get("from_customer", True) else number["display_phone_number"],
                "id": message.get("wamid") or _wamid(), "timestamp": str(int(now - age * 86400)),
                "type": "text", "text": {"body": message["text"]},
                "history_context": {"status": message.get("status", "READ")}}
            if not message.get("from_customer", True):
                item["to"] = customer
            if message.get("media_id"):
                item.pop("text")
                item.update(type="media_placeholder", media_placeholder={})
                if age < 14:
                    media.append((customer, {**{k: v for k, v in item.items() if k != "media_placeholder"},
                                             "type": "image", "image": {"id": str(message["media_id"]),
                                                                        "mime_type": "image/jpeg",
                                                                        "caption": message["text"]}}))
            phases[phase].append((customer, item))
    chunks: list[tuple[int, list[tuple[str, dict[str, Any]]]]] = []
    for phase, messages in enumerate(phases):
        for start in range(0, len(messages), chunk_messages):
            chunks.append((phase, messages[start:start + chunk_messages]))
    bodies = []
    for order, (phase, messages) in enumerate(chunks, start=1):
        threads: dict[str, list[dict[str, Any]]] = {}
        for customer, item in messages:
            threads.setdefault(customer, []).append(item)
        bodies.append(_body(number, phone_number_id, "history", {"history": [{
            "metadata": {"phase": phase, "chunk_order": order, "progress": order * 100 // len(chunks)},
            "threads": [{"id": c, "messages": m} for c, m in threads.items()]}]}))
    if media:
        threads = {}
        for customer, item in media:
            threads.setdefault(customer, []).append(item)
        bodies.append(_body(number, phone_number_id, "history", {"history": [{
            "metadata": {"phase": 0, "chunk_order": len(chunks) + 1, "progress": 100},
            "threads": [{"id": c, "messages": m} for c, m in threads.items()]}]}))
    return bodies


def history_declined(number: dict[str, str], phone_number_id: str) -> dict[str, Any]:
    return _body(number, phone_number_id, "history", {"history": [{"errors": [{
        "code": HISTORY_DECLINED, "title": "History sharing is turned off by the business",
        "message": "History sharing is turned off by the business",
        "error_data": {"details": "The business declined to share its chat history."}}]}]})


def state_sync(number: dict[str, str], phone_number_id: str, contacts: list[dict[str, Any]]) -> dict[str, Any]:
    """Address-book changes: [{"phone_number", "full_name"?, "action": "add" | "remove"}]."""
    at = str(int(clock.now().timestamp()))
    items = []
    for contact in contacts:
        action = contact.get("action", "add")
        entry: dict[str, Any] = {"phone_number": str(contact["phone_number"]).lstrip("+")}
        if action != "remove" and contact.get("full_name"):
            entry.update(full_name=contact["full_name"], first_name=str(contact["full_name"]).split()[0])
        items.append({"type": "contact", "contact": entry, "action": action, "metadata": {"timestamp": at}})
    return _body(number, phone_number_id, "smb_app_state_sync", {"state_sync": items})


def bodies_for(kind: str, number: dict[str, str], phone_number_id: str, params: dict[str, Any]) -> list[dict]:
    """The webhooks the control endpoint emits for ``kind`` (ValueError/KeyError/TypeError on bad params)."""
    if kind == "echo":
        return [echo(number, phone_number_id, str(params["to"]), str(params.get("text", "Sent from the app")),
                     params.get("wamid"), params.get("timestamp"))]
    if kind == "history":
        return history(number, phone_number_id, dict(params["chats"]), int(params.get("chunk_messages", 200)))
    if kind == "history_declined":
        return [history_declined(number, phone_number_id)]
    if kind == "state_sync":
        return [state_sync(number, phone_number_id, list(params["contacts"]))]
    raise ValueError(f"unknown coexistence webhook: {kind}")
