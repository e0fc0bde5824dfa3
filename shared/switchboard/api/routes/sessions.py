"""The inbox, read side: sessions by latest activity, one session, its messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router
from pydantic import ValidationError

from switchboard.api.auth import principal_of
from switchboard.api.params import Cursor, ResourceId
from switchboard.api.views import MessageView, Page, SessionView
from switchboard.errors import InvalidInput, NotFound
from switchboard.services import services
from switchboard.sessions import search
from switchboard.sessions.filters import SessionFilterSet, check_ranges
from switchboard.team.queues import waiting_sessions

router = Router()

Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
SessionId = ResourceId


Time = Annotated[datetime | None, Query(description="ISO-8601 with a zone")]


def _moment(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput("a time needs a zone", field=field)
    return value


@router.get("/sessions", summary="List and search sessions, latest activity first", tags=["sessions"])
def list_sessions(
    q: Annotated[str | None, Query(max_length=200, description="words (by prefix) of the messages, email "
                                                              "subjects, notes and the contact's name, phone "
                                                              "and email; with the other filters")] = None,
    status: Annotated[Literal["open", "awaiting_customer", "resolved"] | None, Query()] = None,
    channel_id: Annotated[str | None, Query(max_length=64)] = None,
    channel_kind: Annotated[Literal["whatsapp", "email"] | None, Query()] = None,
    operator_id: Annotated[str | None, Query(max_length=128, description="an operator, or `none` with "
                                                                        "`group_id`: the group's waiting sessions, "
                                                                        "oldest first")] = None,
    group_id: Annotated[str | None, Query(max_length=128)] = None,
    contact_id: Annotated[str | None, Query(max_length=64)] = None,
    unanswered: Annotated[bool | None, Query()] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    rating: Annotated[int | None, Query(ge=1, le=5, description="the customer's CSAT rating")] = None,
    created_from: Time = None,
    created_to: Time = None,
    last_activity_from: Time = None,
    last_activity_to: Time = None,
    sla: Annotated[Literal["breached"] | None, Query(description="sessions with a breached SLA target")] = None,
    waiting: Annotated[bool | None, Query(description="open and unassigned (true), or assigned (false)")] = None,
    cursor: Cursor = None,
    limit: Limit = 25,
) -> Page[SessionView]:
    principal = principal_of(router.current_event)
    if operator_id == "none":
        if not group_id:
            raise InvalidInput("operator_id=none lists a group's queue: give group_id", field="group_id")
        page = waiting_sessions(services(), principal.tenant_id, group_id, cursor, limit)
        return Page[SessionView](items=[SessionView.of(i) for i in page.items], next_cursor=page.cursor)
    chosen = _filters(
        q=q, status=status, channel_id=channel_id, channel_kind=channel_kind, operator_id=operator_id,
        group_id=group_id, contact_id=contact_id, unanswered=unanswered, tag=tag, rating=rating,
        created_from=_moment(created_from, "created_from"), created_to=_moment(created_to, "created_to"),
        last_activity_from=_moment(last_activity_from, "last_activity_from"),
        last_activity_to=_moment(last_activity_to, "last_activity_to"), sla=sla, waiting=waiting)
    check_ranges(chosen)
    if q is not None and q.strip():
        page = search.search(services(), principal.tenant_id, q, chosen.rules(), cursor, limit)
    else:
        page = services().sessions.list_recent(principal.tenant_id, cursor, limit, chosen.rules())
    return Page[SessionView](items=[SessionView.of(i) for i in page.items], next_cursor=page.cursor)


def _filters(**chosen: Any) -> SessionFilterSet:
    """The list's filters as a saved filter holds them; a value the set refuses (an empty operator id) is a
    422 naming its parameter, not a server error."""
    try:
        return SessionFilterSet(**chosen)
    except ValidationError as refused:
        first = refused.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else "query"
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from refused


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
