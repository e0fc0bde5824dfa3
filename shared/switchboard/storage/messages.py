"""The one builder of each conversation item: a message (inbound or outbound, WhatsApp or email, in a
session or on the contact's timeline), a new session, the outbound queue's job, and the session's
``last_message`` summary. The areas say what the item is; only this module says how it is stored."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from switchboard.storage import keys

PREVIEW_CHARS = 200


def message_item(tenant_id: str, channel_id: str, message_id: str, at_iso: str, *, direction: str, kind: str,
                 text: str, session_id: str | None, contact_id: str | None, created_at: str | None = None,
                 **fields: Any) -> dict[str, Any]:
    """A message: in its session's partition, or on the contact's timeline (``T#t#C#<contact>``) when it
    belongs to no session (a suppressed message of a blocked contact, a campaign's message). Sorted by
    ``at_iso``, the time it was sent."""
    partition = (keys.session_partition(tenant_id, session_id) if session_id
                 else keys.contact(tenant_id, contact_id or "")["pk"])
    item: dict[str, Any] = {
        keys.PK: partition, keys.SK: keys.message_sort_key(at_iso, message_id), "message_id": message_id,
        "tenant_id": tenant_id, "channel_id": channel_id, "direction": direction, "kind": kind, "text": text,
        "sent_at": at_iso, "created_at": created_at or at_iso, **fields,
    }
    if session_id:
        item["session_id"] = session_id
    if contact_id:
        item["contact_id"] = contact_id
    return item


def queued_fields(at_iso: str) -> dict[str, Any]:
    """What an outbound message starts with: ``queued`` (the worker's claim takes it from there)."""
    return {"status": "queued", "status_rank": 0, "statuses": {"queued": at_iso}}


def last_message(message: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The summary of a message a session shows in the inbox list."""
    return {"message_id": message["message_id"], "text": str(message.get("text") or "")[:PREVIEW_CHARS],
            "direction": message["direction"], "kind": message["kind"], "at": message["sent_at"], **fields}


def new_session_item(tenant_id: str, session_id: str, channel_id: str, contact_id: str, address: str,
                     status: str, now_iso: str, last: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A new session, in the tenant's inbox (GSI1, by last activity) and the contact's sessions (GSI3, keys
    only: the messages that rewrite the session do not rewrite its entry there)."""
    return {
        **keys.session(tenant_id, session_id), keys.GSI1_PK: keys.sessions_index(tenant_id),
        keys.GSI1_SK: f"{now_iso}#{session_id}", keys.GSI3_PK: keys.contact_sessions_index(tenant_id, contact_id),
        keys.GSI3_SK: f"{now_iso}#{session_id}", "session_id": session_id, "tenant_id": tenant_id,
        "channel_id": channel_id, "contact_id": contact_id, "address": address, "status": status,
        "created_at": now_iso, "last_activity_at": now_iso, "tags": [], "last_message": last, **fields,
    }


def inbound_session_fields() -> dict[str, Any]:
    """A session a customer's message opens: one unread message, unanswered."""
    return {"unread_count": 1, "unanswered": True}


class OutboundJob(BaseModel):
    """The outbound queue's message body: which stored message to send."""

    tenant_id: str
    message_pk: str
    message_sk: str

    @classmethod
    def of(cls, message: dict[str, Any]) -> OutboundJob:
        return cls(tenant_id=message["tenant_id"], message_pk=message[keys.PK], message_sk=message[keys.SK])

    def body(self) -> str:
        return json.dumps(self.model_dump(), separators=(",", ":"))
