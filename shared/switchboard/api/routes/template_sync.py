"""Syncing templates on demand (POST /templates/sync, admins): every WhatsApp channel of the tenant, or
the one named. The answer reports each channel's outcome; a Graph error (rate limit, expired token)
leaves that channel's stored templates as they were and is reported, not raised."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel, ConfigDict, Field

from switchboard.api.auth import principal_of
from switchboard.services import services
from switchboard.templates.sync import sync_tenant

router = Router()


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_id: str | None = Field(None, min_length=1, max_length=64)


class SyncError(BaseModel):
    code: str
    message: str
    graph_code: int | None = None
    retryable: bool = False
    page: int | None = None


class ChannelSyncView(BaseModel):
    channel_id: str
    ok: bool
    pages: int
    fetched: int
    created: int
    updated: int
    deleted: int
    unchanged: int
    skipped: int
    duration_ms: int
    error: SyncError | None = None


class SyncView(BaseModel):
    ok: bool
    channels: list[ChannelSyncView]


@router.post("/templates/sync", summary="Sync templates from Meta now (admins)", tags=["templates"])
def sync_templates(request: Annotated[SyncRequest | None, Body()] = None) -> SyncView:
    principal = principal_of(router.current_event)
    principal.require_admin()
    results = sync_tenant(services(), principal.tenant_id, request.channel_id if request else None)
    channels: list[dict[str, Any]] = [{**r.summary(), "ok": r.ok, "error": r.error} for r in results]
    return SyncView(
        ok=all(r.ok for r in results), channels=[ChannelSyncView.model_validate(c) for c in channels]
    )
