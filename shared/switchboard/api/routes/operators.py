"""The tenant's operators (admins manage them; an operator edits their own name and languages) and
presence (PUT /operators/me/presence, repeated as the heartbeat)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.auth import principal_of
from switchboard.api.errors import json_response
from switchboard.api.params import Cursor
from switchboard.api.views import Page
from switchboard.services import services
from switchboard.team import operators
from switchboard.team.models import OperatorInvite, OperatorPatch, OperatorView, PresenceRequest

router = Router()

OperatorId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z_.:@-]+$")]
Limit = Annotated[int, Query(ge=1, le=100, description="page size")]


@router.get(
    "/operators", summary="The tenant's operators, with presence and open session count", tags=["team"]
)
def list_operators(cursor: Cursor = None, limit: Limit = 50) -> Page[OperatorView]:
    principal = principal_of(router.current_event)
    page = services().operators.list(principal.tenant_id, cursor, limit)
    return Page[OperatorView](
        items=[OperatorView.model_validate(operators.presented(i)) for i in page.items],
        next_cursor=page.cursor,
    )


@router.post(
    "/operators",
    summary="Invite an operator (admins)",
    tags=["team"],
    responses={
        201: {
            "description": "invited",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OperatorView"}}},
        }
    },
)
def invite_operator(request: OperatorInvite):
    principal = principal_of(router.current_event)
    view = OperatorView.model_validate(operators.invite(services(), principal, request))
    return json_response(201, view.model_dump(mode="json"))


@router.put("/operators/me/presence", summary="Set your presence; repeat it as the heartbeat", tags=["team"])
def set_presence(request: PresenceRequest) -> OperatorView:
    principal = principal_of(router.current_event)
    return OperatorView.model_validate(operators.set_presence(services(), principal, request.status))


@router.get("/operators/<operator_id>", summary="One operator", tags=["team"])
def get_operator(operator_id: OperatorId) -> OperatorView:
    principal = principal_of(router.current_event)
    return OperatorView.model_validate(
        operators.presented(operators.load(services(), principal.tenant_id, operator_id))
    )


@router.patch(
    "/operators/<operator_id>",
    summary="Edit an operator (admins; operators: own name and languages)",
    tags=["team"],
)
def update_operator(operator_id: OperatorId, request: OperatorPatch) -> OperatorView:
    principal = principal_of(router.current_event)
    return OperatorView.model_validate(operators.update(services(), principal, operator_id, request))


@router.delete(
    "/operators/<operator_id>",
    summary="Delete an operator without open sessions (admins)",
    tags=["team"],
    responses={204: {"description": "deleted"}},
)
def delete_operator(operator_id: OperatorId):
    principal = principal_of(router.current_event)
    operators.delete(services(), principal, operator_id)
    return json_response(204, {})
