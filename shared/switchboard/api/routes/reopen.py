"""Reopening a resolved session under the 24-hour rule."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel

from switchboard.api.auth import principal_of
from switchboard.api.errors import json_response
from switchboard.api.params import ResourceId
from switchboard.api.views import MessageView, SessionView
from switchboard.outbound.models import ReopenRequest
from switchboard.services import services
from switchboard.sessions.reopen import reopen

router = Router()

SessionId = ResourceId


class ReopenedSession(BaseModel):
    session: SessionView
    message: MessageView | None = None


@router.post("/sessions/<session_id>/reopen", summary="Reopen a resolved session (template outside the window)",
             tags=["sessions"],
             responses={200: {"description": "reopened", "content": {"application/json": {"model": ReopenedSession}}}})
def reopen_session(session_id: SessionId, request: ReopenRequest | None = None,
                   idempotency_key: Annotated[str | None, Header(alias="idempotency-key", max_length=128)] = None,
                   ):  # noqa: ANN201 - see responses
    principal = principal_of(router.current_event)
    result = reopen(services(), principal, session_id,
                    request or ReopenRequest(), idempotency_key)
    body = ReopenedSession(session=SessionView.of(result.session),
                           message=MessageView.of(result.message) if result.message else None)
    return json_response(200, body.model_dump(mode="json"),
                         {"Idempotent-Replayed": "true"} if result.replayed else None)
