"""Webhook-level errors Meta reported (``value.errors``) and the other webhook fields we keep whole, for
admins: newest first, paginated."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel

from switchboard.api.auth import principal_of
from switchboard.api.params import Cursor
from switchboard.api.views import Page
from switchboard.services import services

router = Router()


class WebhookUpdateView(BaseModel):
    event_id: str
    kind: str
    field: str
    received_at: str
    channel_id: str | None = None
    waba_id: str | None = None
    errors: list[dict[str, Any]] = []
    payload: dict[str, Any] = {}

    @classmethod
    def of(cls, item: dict[str, Any]) -> WebhookUpdateView:
        return cls(event_id=item["event_id"], kind=item["kind"], field=item.get("field", ""),
                   received_at=item["received_at"], channel_id=item.get("channel_id"),
                   waba_id=item.get("waba_id"), errors=json.loads(item.get("errors") or "[]"),
                   payload=json.loads(item.get("payload") or "{}"))


@router.get("/webhook-errors", summary="Webhook-level errors and other kept webhook fields, newest first (admins)",
            tags=["channels"])
def list_webhook_errors(
    kind: Annotated[Literal["errors", "field"], Query(description="errors: value.errors; field: other fields")]
    = "errors",
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100, description="page size")] = 25,
) -> Page[WebhookUpdateView]:
    principal = principal_of(router.current_event)
    principal.require_admin()
    page = services().webhook_updates.list(principal.tenant_id, kind, cursor, limit)
    return Page[WebhookUpdateView](items=[WebhookUpdateView.of(i) for i in page.items], next_cursor=page.cursor)
