"""A coexistence channel's history import (docs/coexistence.md), for admins: Meta's phases and chunks, what
of each is imported, and whether the business declined to share its history."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel, Field

from switchboard.api.auth import principal_of
from switchboard.api.params import ResourceId
from switchboard.errors import NotFound
from switchboard.inbound.coexistence import history_progress
from switchboard.services import services

router = Router()

ChannelId = ResourceId


class HistoryChunkView(BaseModel):
    phase: int = Field(description="Meta's phase: 0 = onboarding day, 1 = days 1-90, 2 = days 90-180")
    chunk_order: int
    progress: int = Field(description="Meta's overall progress when it sent this chunk (100: all sent)")
    slices: int = Field(description="slices the chunk was cut into (one chat, at most 40 messages each)")
    messages: int
    slices_imported: int
    messages_imported: int
    status: str = Field(description="importing, imported")
    received_at: str | None = None


class HistoryImportView(BaseModel):
    channel_id: str
    status: str = Field(description="not_started, importing, complete (progress 100, every chunk imported), "
                                    "declined (the business did not share its history)")
    progress: int
    phase: int | None = None
    messages_imported: int
    chunks: list[HistoryChunkView] = []
    declined_at: str | None = None
    errors: list[dict[str, Any]] = []


@router.get("/channels/<channel_id>/history-imports",
            summary="The WhatsApp Business app history a coexistence number shared: phases, chunks, progress "
                    "(admins)", tags=["channels"])
def get_history_import(channel_id: ChannelId) -> HistoryImportView:
    principal = principal_of(router.current_event)
    principal.require_admin()
    if services().channels.get(principal.tenant_id, channel_id) is None:
        raise NotFound("no such channel", channel_id=channel_id)
    records = services().history_imports.progress(principal.tenant_id, channel_id)
    return HistoryImportView.model_validate({"channel_id": channel_id, **history_progress(records)})
