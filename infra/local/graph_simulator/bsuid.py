"""The simulator's business-scoped user ids (BSUIDs) and calls, as Meta documents them (docs/whatsapp-2026.md,
"BSUIDs and calls"): a send to ``recipient`` answers ``contacts[].user_id`` (``to`` wins when both are
given), error 131062 refuses an authentication template to a BSUID, statuses of such a send name
``recipient_user_id``; and the webhooks a customer's side produces: a BSUID-only text with a username,
``user_changed_user_id`` and ``user_id_update``, the phone shared on REQUEST_CONTACT_INFO, a call's
``connect`` and ``terminate``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from switchboard import clock
from switchboard.whatsapp.signature import sign

BSUID_NOT_SUPPORTED = 131062
ERROR = (400, "(#131062) Business-scoped User ID recipients are not supported for this message.",
         "One-tap, zero-tap and copy-code authentication templates require a phone number.")
PHONE_ONLY_CATEGORIES = frozenset({"AUTHENTICATION"})
CUSTOMER_WEBHOOKS = ("bsuid_text", "user_changed_user_id", "user_id_update", "shared_phone", "call")


def is_bsuid(address: str) -> bool:
    return bool(address) and not address.lstrip("+").isdigit()


def addressed_to_bsuid(body: dict[str, Any]) -> bool:
    """Meta: ``to`` takes precedence; only a body without it is sent to ``recipient``."""
    return not body.get("to") and is_bsuid(str(body.get("recipient") or ""))


def refusal(body: dict[str, Any], category_of: Callable[[str, str], str | None]) -> int | None:
    """131062 for a template Meta does not deliver to a BSUID (``category_of(name, language)``)."""
    if not addressed_to_bsuid(body) or body.get("type") != "template":
        return None
    template = body.get("template") or {}
    category = category_of(str(template.get("name")), str((template.get("language") or {}).get("code")))
    return BSUID_NOT_SUPPORTED if str(category or "").upper() in PHONE_ONLY_CATEGORIES else None


def send_contact(body: dict[str, Any], to: str) -> dict[str, str]:
    """The send response's ``contacts[0]``: ``user_id`` for a BSUID send, ``wa_id`` for a phone send."""
    contact = {"input": str(body.get("to") or body.get("recipient"))}
    contact["user_id" if addressed_to_bsuid(body) else "wa_id"] = to
    return contact


def recipient_fields(to: str) -> dict[str, str]:
    """How a status names its recipient: ``recipient_user_id`` for a BSUID."""
    return {"recipient_user_id": to} if is_bsuid(to) else {"recipient_id": to}


def interactive_problem(part: dict[str, Any]) -> str | None:
    """A REQUEST_CONTACT_INFO interactive message: a body and the ``request_contact_info`` action."""
    body = str((part.get("body") or {}).get("text", ""))
    if not 0 < len(body) <= 1024:
        return "interactive.body.text is 1-1024 characters"
    if (part.get("action") or {}).get("name") != "request_contact_info":
        return "action.name must be 'request_contact_info'"
    return None


# -- webhooks of the customer's side -------------------------------------------------------------------
def _value(number: dict[str, str], phone_number_id: str, **parts: Any) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "metadata": {
        "display_phone_number": number["display_phone_number"], "phone_number_id": phone_number_id}, **parts}


def signed_webhook(number: dict[str, str], field: str, value: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = {"object": "whatsapp_business_account",
            "entry": [{"id": number["waba_id"], "changes": [{"field": field, "value": value}]}]}
    raw = json.dumps(body).encode()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, number["app_secret"])}


def _now() -> str:
    return str(int(clock.now().timestamp()))


def bsuid_text(number: dict[str, str], phone_number_id: str, user_id: str, wamid: str, text: str,
               name: str = "", username: str | None = None) -> tuple[bytes, dict[str, str]]:
    profile = {"name": name, **({"username": username} if username else {})}
    return signed_webhook(number, "messages", _value(number, phone_number_id,
        contacts=[{"profile": profile, "user_id": user_id}],
        messages=[{"from_user_id": user_id, "id": wamid, "timestamp": _now(), "type": "text", "text": {"body": text}}]))


def user_changed_user_id(number: dict[str, str], phone_number_id: str, old: str, new: str, wamid: str,
                         name: str = "") -> tuple[bytes, dict[str, str]]:
    """The system message (no contacts array), then Meta's ``user_id_update`` carries the pair too."""
    return signed_webhook(number, "messages", _value(number, phone_number_id, messages=[{
        "from_user_id": old, "id": wamid, "timestamp": _now(), "type": "system",
        "system": {"body": f"User {name} changed from {old} to {new}", "user_id": new,
                   "type": "user_changed_user_id"}}]))


def user_id_update(number: dict[str, str], phone_number_id: str, old: str, new: str,
                   wa_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    update: dict[str, Any] = {"detail": "User id has been updated.", "user_id": {"previous": old, "current": new},
                              "timestamp": _now()}
    if wa_id:
        update["wa_id"] = wa_id
    return signed_webhook(number, "user_id_update", _value(number, phone_number_id, user_id_update=[update]))


def shared_phone(number: dict[str, str], phone_number_id: str, user_id: str, wa_id: str, wamid: str,
                 name: str = "") -> tuple[bytes, dict[str, str]]:
    """The customer's answer to REQUEST_CONTACT_INFO: a contacts message of origin ``contact_request``."""
    return signed_webhook(number, "messages", _value(number, phone_number_id,
        contacts=[{"profile": {"name": name}, "user_id": user_id}],
        messages=[{"from_user_id": user_id, "id": wamid, "timestamp": _now(), "type": "contacts",
                   "origin": "contact_request", "contacts": [{
                       "name": {"formatted_name": name or wa_id},
                       "phones": [{"phone": f"+{wa_id}", "wa_id": wa_id, "type": "CELL"}]}]}]))


def call(number: dict[str, str], phone_number_id: str, caller: str, call_id: str, event: str,
         duration: int = 0, completed: bool = True) -> tuple[bytes, dict[str, str]]:
    """A user-initiated call's ``connect`` or ``terminate`` (``calls`` field; ``caller`` a phone id or BSUID)."""
    now = _now()
    side = {"from_user_id": caller} if is_bsuid(caller) else {"from": caller}
    item: dict[str, Any] = {"id": call_id, "to": number["display_phone_number"], **side, "event": event,
                            "timestamp": now, "direction": "USER_INITIATED"}
    if event == "connect":
        item["session"] = {"sdp_type": "offer", "sdp": "v=0 (simulated)"}
    else:
        item.update(status="COMPLETED" if completed else "FAILED", duration=duration,
                    start_time=str(int(now) - duration), end_time=now)
    return signed_webhook(number, "calls", _value(number, phone_number_id, calls=[item]))
