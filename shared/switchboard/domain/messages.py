"""Messages: their kinds, the record an inbound WhatsApp message becomes, the text an inbox shows for it,
and the order of delivery statuses. Pure functions over Meta's payload: no I/O."""

from __future__ import annotations

import re
from typing import Any, Literal

Direction = Literal["in", "out"]

# A status only moves a message forward; "failed" is final.
STATUS_RANK: dict[str, int] = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "played": 4, "failed": 9,
                               # a call's outcome moves forward the same way (docs/bsuid-and-calls.md)
                               "ringing": 1, "accepted": 2, "rejected": 8, "completed": 8}

MEDIA_KINDS = ("image", "audio", "video", "document", "sticker")
# Every inbound kind we store as itself; any other type (new ones, "unsupported") is stored as "unsupported".
KNOWN_KINDS = frozenset({"text", *MEDIA_KINDS, "location", "contacts", "interactive", "button", "reaction",
                         "order", "system", "edit", "revoke", "request_welcome", "call"})
# Kinds that change another message (found through its provider id).
TARGETING_KINDS = {"reaction": "message_id", "edit": "original_message_id", "revoke": "original_message_id"}
NUMBER_CHANGED = "user_changed_number"
USER_ID_CHANGED = "user_changed_user_id"
# A contacts message the customer shared because we asked (REQUEST_CONTACT_INFO): its phone is theirs.
CONTACT_REQUEST_ORIGIN = "contact_request"
_CHANGED_FROM = re.compile(r"changed from (\S+) to (\S+)")

# Media states on a message: downloaded to S3 in a retryable step after the message is stored.
MEDIA_PENDING, MEDIA_AVAILABLE, MEDIA_FAILED = "pending", "available", "failed"


def status_rank(status: str) -> int:
    return STATUS_RANK.get(status, -1)


def kind_of(payload: dict[str, Any]) -> str:
    kind = str(payload.get("type") or "unsupported")
    return kind if kind in KNOWN_KINDS else "unsupported"


def _body(payload: dict[str, Any], kind: str) -> dict[str, Any]:
    body = payload.get(kind)
    return body if isinstance(body, dict) else {}


def target_provider_id(payload: dict[str, Any]) -> str | None:
    """The provider id of the message a reaction, an edit or a revoke refers to."""
    kind = kind_of(payload)
    field = TARGETING_KINDS.get(kind)
    value = _body(payload, kind).get(field) if field else None
    return str(value) if value else None


def changed_number(payload: dict[str, Any]) -> str | None:
    """The new WhatsApp id of a "user changed number" system notice."""
    system = _body(payload, "system")
    if kind_of(payload) == "system" and system.get("type") == NUMBER_CHANGED and system.get("wa_id"):
        return str(system["wa_id"])
    return None


def changed_user_id(payload: dict[str, Any]) -> str | None:
    """The new business-scoped user id of a "user changed user id" system notice."""
    system = _body(payload, "system")
    if kind_of(payload) == "system" and system.get("type") == USER_ID_CHANGED and system.get("user_id"):
        return str(system["user_id"])
    return None


def previous_user_id(payload: dict[str, Any]) -> str | None:
    """Whose id a "user changed user id" notice replaces: the sender's BSUID, else the one its body names
    ("User <name> changed from <old> to <new>"; the notice carries no contacts block)."""
    if payload.get("from_user_id"):
        return str(payload["from_user_id"])
    system = _body(payload, "system")
    if system.get("previous_user_id"):
        return str(system["previous_user_id"])
    found = _CHANGED_FROM.search(str(system.get("body") or "")) if changed_user_id(payload) else None
    return found.group(1) if found else None


def shared_phone(payload: dict[str, Any]) -> str | None:
    """The WhatsApp id (digits) a customer shared in reply to REQUEST_CONTACT_INFO: the first phone of a
    contacts message whose origin is the contact request (a card of someone else is not theirs)."""
    if kind_of(payload) != "contacts" or str(payload.get("origin") or "") != CONTACT_REQUEST_ORIGIN:
        return None
    for card in payload.get("contacts") or []:
        for phone in (card.get("phones") or []) if isinstance(card, dict) else []:
            digits = re.sub(r"\D", "", str(phone.get("wa_id") or phone.get("phone") or ""))
            if digits:
                return digits
    return None


def opens_window(payload: dict[str, Any]) -> bool:
    """Whether the customer reached us: every inbound message and a call the customer placed (Meta: "when
    a WhatsApp user messages you or calls you"); a call the business placed does not."""
    return not (kind_of(payload) == "call" and is_business_call(payload))


def is_business_call(payload: dict[str, Any]) -> bool:
    """A call record of a call the business placed (Meta's ``direction: BUSINESS_INITIATED``)."""
    direction = str(_body(payload, "call").get("direction", "")).upper()
    return kind_of(payload) == "call" and direction == "BUSINESS_INITIATED"


def content_of(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The kind-specific part of a message as Meta sent it (contacts cards live beside the type)."""
    kind = kind_of(payload)
    if kind == "contacts":
        return {"contacts": payload.get("contacts", [])}
    if kind == "unsupported":
        original = payload.get("type")
        body = _body(payload, str(original)) if original else {}
        return {"original_type": original, **({"body": body} if body else {})}
    body = _body(payload, kind)
    return body or None


def media_of(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The media of a message (or of an edit's new version), to be fetched: starts ``pending``."""
    kind = kind_of(payload)
    body = _body(payload, kind)
    if kind == "edit":
        inner = body.get("message") if isinstance(body.get("message"), dict) else {}
        return media_of(inner) if inner else None
    if kind not in MEDIA_KINDS or not body.get("id"):
        return None
    media: dict[str, Any] = {"media_id": str(body["id"]), "status": MEDIA_PENDING, "attempts": 0}
    for name in ("mime_type", "sha256", "filename", "voice", "animated"):
        if body.get(name) is not None:
            media[name] = body[name]
    return media


def provider_errors(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"code": e.get("code"), "title": e.get("title") or e.get("message"),
             "details": (e.get("error_data") or {}).get("details")}
            for e in payload.get("errors") or [] if isinstance(e, dict)]


def preview_text(payload: dict[str, Any]) -> str:
    """The one line an inbox shows for an inbound WhatsApp message of any kind."""
    kind = kind_of(payload)
    body = _body(payload, kind)
    if kind == "text":
        return str(body.get("body", ""))
    if kind in MEDIA_KINDS:
        return str(body.get("caption") or body.get("filename") or f"[{kind}]")
    if kind == "location":
        return str(body.get("name") or body.get("address") or "[location]")
    if kind == "contacts":
        names = [c.get("name", {}).get("formatted_name", "") for c in payload.get("contacts", [])]
        return "[contacts] " + ", ".join(n for n in names if n)
    if kind == "interactive":
        reply = body.get(body.get("type", ""), {}) if isinstance(body, dict) else {}
        return str(reply.get("title") or reply.get("body") or "[interactive]")
    if kind == "button":
        return str(body.get("text") or body.get("payload") or "[button]")
    if kind == "reaction":
        return str(body.get("emoji") or "[reaction removed]")
    if kind == "order":
        return f"[order] {len(body.get('product_items', []))} items"
    if kind == "system":
        return str(body.get("body") or "[system]")
    if kind == "edit":
        inner = body.get("message") if isinstance(body.get("message"), dict) else {}
        return preview_text(inner) if inner else "[edited]"
    if kind == "revoke":
        return "[message deleted]"
    if kind == "request_welcome":
        return "[conversation started]"
    if kind == "call":
        return "[call] outgoing" if is_business_call(payload) else "[call] incoming"
    return "[unsupported]"
