"""Sending: a new outbound session (POST /sessions) and a message in a session. Both accept an
``Idempotency-Key`` header: a retried request returns the first one's message and sends nothing again."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.auth import Principal, principal_of
from switchboard.api.errors import json_response
from switchboard.api.params import ResourceId
from switchboard.api.views import MessageView, SessionView, StartedSession
from switchboard.outbound.models import SendMessageRequest, StartSessionRequest
from switchboard.outbound.sending import send_in_session
from switchboard.services import services
from switchboard.sessions.starting import start_session

router = Router()

SessionId = ResourceId
IdempotencyKey = Annotated[str | None, Header(alias="idempotency-key", min_length=1, max_length=128,
                                              description="a retried request with the same key sends once")]


def _caller() -> Principal:
    return principal_of(router.current_event)


def _replay_headers(replayed: bool) -> dict[str, str] | None:
    return {"Idempotent-Replayed": "true"} if replayed else None


@router.post("/sessions/<session_id>/messages", summary="Send a message in a session", tags=["sending"],
             responses={202: {"description": "stored as queued and on its way",
                              "content": {"application/json": {"model": MessageView}}}})
def send_message(session_id: SessionId, request: SendMessageRequest,
                 idempotency_key: IdempotencyKey = None):  # noqa: ANN201 - see responses
    accepted = send_in_session(services(), _caller(), session_id, request, idempotency_key)
    return json_response(202, MessageView.of(accepted.message).model_dump(mode="json"),
                         _replay_headers(accepted.replayed))


@router.post("/sessions", summary="Start a WhatsApp session with a template", tags=["sending"],
             responses={201: {"description": "the session, awaiting the customer, and its template message",
                              "content": {"application/json": {"model": StartedSession}}}})
def start_whatsapp_session(request: StartSessionRequest, idempotency_key: IdempotencyKey = None):  # noqa: ANN201 - see responses
    started = start_session(services(), _caller(), request, idempotency_key)
    body = StartedSession(session=SessionView.of(started.session), message=MessageView.of(started.message))
    return json_response(201, body.model_dump(mode="json"), _replay_headers(started.replayed))
