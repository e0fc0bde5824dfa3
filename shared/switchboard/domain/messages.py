"""Messages: their kinds, the text an inbox shows for them, and the order of delivery statuses."""

from __future__ import annotations

from typing import Any, Literal

Direction = Literal["in", "out"]

# A status only moves a message forward; "failed" is final.
STATUS_RANK: dict[str, int] = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "played": 4, "failed": 9}

MEDIA_KINDS = ("image", "audio", "video", "document", "sticker")


def status_rank(status: str) -> int:
    return STATUS_RANK.get(status, -1)


def preview_text(payload: dict[str, Any]) -> str:
    """The one line an inbox shows for an inbound WhatsApp message of any kind."""
    kind = payload.get("type", "unknown")
    body = payload.get(kind) if isinstance(payload.get(kind), dict) else {}
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
    return f"[{kind}]"
