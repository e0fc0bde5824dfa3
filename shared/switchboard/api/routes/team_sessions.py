"""Routing on a session: take a waiting session, transfer a session (who, from, to, when on its timeline)."""

from __future__ import annotations


from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.auth import principal_of
from switchboard.api.params import ResourceId
from switchboard.api.views import SessionView
from switchboard.services import services
from switchboard.team import handover
from switchboard.team.models import TransferRequest

router = Router()

SessionId = ResourceId


@router.post(
    "/sessions/<session_id>/take", summary="Take a session waiting in your group's queue", tags=["team"]
)
def take_session(session_id: SessionId) -> SessionView:
    principal = principal_of(router.current_event)
    return SessionView.of(handover.take(services(), principal, session_id))


@router.post(
    "/sessions/<session_id>/transfer", summary="Transfer a session to an operator or a group", tags=["team"]
)
def transfer_session(session_id: SessionId, request: TransferRequest) -> SessionView:
    principal = principal_of(router.current_event)
    return SessionView.of(handover.transfer(services(), principal, session_id, request))
