"""Checking a send body the way the Cloud API does: a bad one is error 100 (Invalid parameter)."""

from __future__ import annotations

from typing import Any

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
KNOWN_TYPES = ("text", "template", "interactive", "reaction", "location", "contacts", *MEDIA_TYPES)


class InvalidParameter(Exception):
    def __init__(self, details: str) -> None:
        super().__init__(details)
        self.details = details


def _require(condition: bool, details: str) -> None:
    if not condition:
        raise InvalidParameter(details)


def check_send(body: dict[str, Any], known_media: set[str]) -> str:
    """Validate a message body; returns the recipient (``to`` digits or the BSUID)."""
    _require(body.get("messaging_product") == "whatsapp", "messaging_product must be 'whatsapp'")
    to = body.get("to") or body.get("recipient")
    _require(isinstance(to, str) and bool(to), "a recipient ('to' or 'recipient') is required")
    kind = body.get("type", "text")
    _require(kind in KNOWN_TYPES, f"unsupported message type '{kind}'")
    part = body.get(kind)
    _require(isinstance(part, dict), f"'{kind}' object is required for type '{kind}'")
    if kind == "text":
        text = part.get("body")
        _require(isinstance(text, str) and 0 < len(text) <= 4096, "text.body must be 1-4096 characters")
    elif kind in MEDIA_TYPES:
        _require(bool(part.get("id") or part.get("link")), f"{kind} needs 'id' or 'link'")
        if part.get("id"):
            _require(str(part["id"]) in known_media, f"media id {part['id']} is unknown or expired")
        _require(len(str(part.get("caption", ""))) <= 1024, "caption is at most 1024 characters")
    elif kind == "interactive":
        _check_interactive(part)
    elif kind == "template":
        _require(bool(part.get("name")), "template.name is required")
        _require(bool((part.get("language") or {}).get("code")), "template.language.code is required")
    context = body.get("context")
    if context is not None:
        _require(isinstance(context, dict) and bool(context.get("message_id")), "context.message_id is required")
    return str(to).lstrip("+")


def _check_interactive(part: dict[str, Any]) -> None:
    kind = part.get("type")
    _require(kind in ("button", "list", "cta_url", "flow", "product", "product_list", "request_contact_info"),
             "interactive.type is not supported")
    if kind == "request_contact_info":  # asks a BSUID-only customer for their phone (graph_simulator/bsuid.py)
        from infra.local.graph_simulator.bsuid import interactive_problem

        problem = interactive_problem(part)
        _require(problem is None, problem or "")
        return
    body = (part.get("body") or {}).get("text", "")
    action = part.get("action") or {}
    if kind == "button":
        buttons = action.get("buttons") or []
        _require(1 <= len(buttons) <= 3, "interactive buttons: one to three")
        titles = [(b.get("reply") or {}).get("title", "") for b in buttons]
        _require(all(0 < len(t) <= 20 for t in titles), "button titles are 1-20 characters")
        _require(len(set(titles)) == len(titles), "button titles must be unique")
        _require(0 < len(body) <= 1024, "interactive.body.text is 1-1024 characters")
    elif kind == "list":
        sections = action.get("sections") or []
        rows = [row for section in sections for row in section.get("rows") or []]
        _require(1 <= len(sections) <= 10 and 1 <= len(rows) <= 10, "a list has 1-10 sections and 1-10 rows")
        _require(0 < len(str(action.get("button", ""))) <= 20, "action.button is 1-20 characters")
        _require(all(0 < len(r.get("title", "")) <= 24 for r in rows), "row titles are 1-24 characters")
        _require(0 < len(body) <= 4096, "interactive.body.text is 1-4096 characters")
