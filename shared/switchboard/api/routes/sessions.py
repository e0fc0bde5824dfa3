"""The inbox, read side: sessions by latest activity, one session, its messages."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.auth import principal_of
from switchboard.api.views import MessageView, Page, SessionView
from switchboard.errors import InvalidInput, NotFound
from switchboard.services import services
from switchboard.team.queues import waiting_sessions

router = Router()

Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
Cursor = Annotated[str | None, Query(max_length=2048, description="opaque cursor from next_cursor")]
SessionId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


@router.get("/sessions", summary="List sessions, latest activity first", tags=["sessions"])
def list_sessions(
    status: Annotated[Literal["open", "awaiting_customer", "resolved"] | None, Query()] = None,
    channel_id: Annotated[str | None, Query(max_length=64)] = None,
    operator_id: Annotated[str | None, Query(max_length=128, description="an operator, or `none` with "
                                                                        "`group_id`: the group's waiting sessions, "
                                                                        "oldest first")] = None,
    group_id: Annotated[str | None, Query(max_length=128)] = None,
    contact_id: Annotated[str | None, Query(max_length=64)] = None,
    unanswered: Annotated[bool | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 25,
) -> Page[SessionView]:
    principal = principal_of(router.current_event)
    if operator_id == "none":
        if not group_id:
            raise InvalidInput("operator_id=none lists a group's queue: give group_id", field="group_id")
        page = waiting_sessions(services(), principal.tenant_id, group_id, cursor, limit)
        return Page[SessionView](items=[SessionView.of(i) for i in page.items], next_cursor=page.cursor)
    filters = {name: value for name, value in {
        "status": status, "channel_id": channel_id, "operator_id": operator_id, "contact_id": contact_id,
        "group_id": group_id, "unanswered": unanswered}.items() if value is not None}
    page = services().sessions.list_recent(principal.tenant_id, cursor, limit, filters)
    return Page[SessionView](items=[SessionView.of(i) for i in page.items], next_cursor=page.cursor)


@router.get("/sessions/<session_id>", summary="One session", tags=["sessions"])
def get_session(session_id: SessionId) -> SessionView:
    principal = principal_of(router.current_event)
    item = services().sessions.get(principal.tenant_id, session_id)
    if item is None:
        raise NotFound("no such session", session_id=session_id)
    return SessionView.of(item)


@router.get("/sessions/<session_id>/messages", summary="A session's messages, oldest first", tags=["sessions"])
def list_messages(session_id: SessionId, cursor: Cursor = None, limit: Limit = 50) -> Page[MessageView]:
    principal = principal_of(router.current_event)
    repo = services().sessions
    if repo.get(principal.tenant_id, session_id) is None:
        raise NotFound("no such session", session_id=session_id)
    page = repo.messages(principal.tenant_id, session_id, cursor, limit)
    media_url = services().media.download_url
    return Page[MessageView](items=[MessageView.of(i, media_url) for i in page.items], next_cursor=page.cursor)
