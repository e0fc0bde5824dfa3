"""What the API returns: response models (they also shape the OpenAPI document)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from switchboard import clock
from switchboard.domain import sessions
from switchboard.storage.dynamo import strip_keys

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class LastMessage(BaseModel):
    message_id: str
    text: str
    direction: str
    kind: str
    at: str
    status: str | None = None


class SessionView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session_id: str
    channel_id: str
    contact_id: str
    status: str
    address: str | None = None
    operator_id: str | None = None
    group_id: str | None = None
    created_at: str
    last_activity_at: str
    last_message: LastMessage | None = None
    unread_count: int = 0
    unanswered: bool = False
    last_inbound_at: str | None = None
    window_expires_at: str | None = None
    tags: list[str] = []
    outcome: str | None = None
    resolved_at: str | None = None

    @classmethod
    def of(cls, item: dict[str, Any]) -> SessionView:
        data = strip_keys(item)
        if data.get("last_inbound_at"):
            expires = sessions.window_expires_at(clock.parse_iso(data["last_inbound_at"]))
            data["window_expires_at"] = clock.iso(expires or clock.now() - timedelta(0))
        return cls.model_validate(data)


class MessageError(BaseModel):
    code: int | str | None = None
    title: str | None = None
    details: str | None = None


class MessageView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message_id: str
    session_id: str | None = None
    direction: str
    kind: str
    text: str = ""
    status: str | None = None
    statuses: dict[str, str] = {}
    error: MessageError | None = None
    provider_message_id: str | None = None
    reply_to_provider_id: str | None = None
    sent_at: str
    created_at: str
    suppressed: bool = False

    @classmethod
    def of(cls, item: dict[str, Any]) -> MessageView:
        return cls.model_validate(strip_keys(item, extra=("raw",)))
