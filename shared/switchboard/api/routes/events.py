"""The tenant's numbered events, for a frontend to catch up on what it missed while its WebSocket was
disconnected: ``GET /events?after=<the last seq it saw>`` (kept 24 hours at least; docs/realtime.md)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel

from switchboard.api.auth import principal_of
from switchboard.realtime.catalog import may_receive
from switchboard.services import services

router = Router()


class EntityRef(BaseModel):
    kind: str
    id: str


class EventView(BaseModel):
    """The same document a WebSocket frame carries."""

    seq: int
    type: str
    occurred_at: str
    entity: EntityRef | None = None
    version: int | None = None
    data: dict[str, Any] = {}


class EventPage(BaseModel):
    items: list[EventView]
    next_cursor: str | None = None  # the seq to ask ``after`` next, when more may follow


@router.get("/events", summary="The tenant's events after a sequence number, oldest first", tags=["events"])
def list_events(
    after: Annotated[int, Query(ge=0, description="the last seq the frontend saw (0: from the oldest kept)")] = 0,
    cursor: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9]+$",
                                        description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="page size")] = 100,
) -> EventPage:
    principal = principal_of(router.current_event)
    start = int(cursor) if cursor else after
    events, more = services().event_log.after(principal.tenant_id, start, limit)
    visible = [EventView.model_validate(e.view()) for e in events
               if may_receive(e.type, e.detail, principal.role)]
    return EventPage(items=visible, next_cursor=str(events[-1].seq) if more and events else None)
