"""Turning a request into what the worker sends: the Graph API message body (without
``messaging_product``/``recipient_type``, which the client adds), its kind, and the text the history shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from switchboard.outbound.models import Interactive, SendMessageRequest


@dataclass
class Outgoing:
    kind: str
    text: str
    graph: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # fields stored on the message record


def recipient(address: str) -> dict[str, str]:
    """A WhatsApp id becomes ``to`` in E.164 with '+'; a business-scoped user id goes in ``recipient``."""
    if address.isdigit():
        return {"to": f"+{address}"}
    if address.startswith("+") and address[1:].isdigit():
        return {"to": address}
    return {"recipient": address}


def interactive_object(spec: Interactive) -> dict[str, Any]:
    body: dict[str, Any] = {"type": spec.type, "body": {"text": spec.body}}
    if spec.header:
        body["header"] = {"type": "text", "text": spec.header}
    if spec.footer:
        body["footer"] = {"text": spec.footer}
    if spec.type == "request_contact_info":
        body["action"] = {"name": "request_contact_info"}
    elif spec.type == "button":
        body["action"] = {"buttons": [{"type": "reply", "reply": {"id": b.id, "title": b.title}}
                                      for b in spec.buttons or []]}
    else:
        body["action"] = {"button": spec.button, "sections": [
            {**({"title": s.title} if s.title else {}),
             "rows": [{"id": r.id, "title": r.title, **({"description": r.description} if r.description else {})}
                      for r in s.rows]} for s in spec.sections or []]}
    return body


def whatsapp_message(request: SendMessageRequest, address: str, media_kind: str | None = None,
                     template: tuple[dict[str, Any], str] | None = None,
                     reply_to_provider_id: str | None = None) -> Outgoing:
    """The Graph body for a WhatsApp message in a session. ``media_kind`` comes from the uploaded file's
    type; ``template`` is (Graph's template object, rendered text) from the template store."""
    to = recipient(address)
    if template is not None:
        out = Outgoing("template", template[1], {**to, "type": "template", "template": template[0]})
    elif request.media is not None and media_kind is not None:
        media: dict[str, Any] = {}
        if request.media.caption and media_kind in ("image", "video", "document"):
            media["caption"] = request.media.caption
        if media_kind == "document":
            media["filename"] = request.media.filename or request.media.key.rsplit("/", 1)[-1]
        if media_kind == "audio" and request.media.voice:
            media["voice"] = True
        text = request.media.caption or request.media.filename or f"[{media_kind}]"
        out = Outgoing(media_kind, text, {**to, "type": media_kind, media_kind: media},
                       {"media_key": request.media.key})
    elif request.interactive is not None:
        out = Outgoing("interactive", request.interactive.body,
                       {**to, "type": "interactive", "interactive": interactive_object(request.interactive)})
    else:
        text = request.text or ""
        out = Outgoing("text", text, {**to, "type": "text", "text": {"body": text,
                                                                     "preview_url": request.preview_url}})
    if reply_to_provider_id:
        out.graph["context"] = {"message_id": reply_to_provider_id}
        out.extra["reply_to_provider_id"] = reply_to_provider_id
    return out


def email_message(request: SendMessageRequest, attachments: list[dict[str, Any]] | None = None) -> Outgoing:
    """``attachments``: the request's files as checked against the bucket (key, filename, content type)."""
    extra: dict[str, Any] = {}
    if request.html:
        extra["html"] = request.html
    if request.subject:
        extra["subject"] = request.subject
    if attachments:
        extra["attachments"] = attachments
    return Outgoing("email", request.text or "", {}, extra)
