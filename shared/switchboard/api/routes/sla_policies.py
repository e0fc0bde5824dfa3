"""SLA policies (docs/sla.md): read by anyone in the tenant, written by admins."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.auth import principal_of
from switchboard.api.errors import json_response
from switchboard.api.params import Cursor, ResourceId
from switchboard.api.views import Page
from switchboard.services import services
from switchboard.sla import policies
from switchboard.sla.policies import SlaPolicyCreate, SlaPolicyPatch, SlaPolicyView

router = Router()

PolicyId = ResourceId


@router.get("/sla-policies", summary="The tenant's SLA policies", tags=["sla"])
def list_sla_policies(
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100, description="page size")] = 50,
) -> Page[SlaPolicyView]:
    principal = principal_of(router.current_event)
    page = policies.listed(services(), principal, cursor, limit)
    return Page[SlaPolicyView](items=[SlaPolicyView.model_validate(i) for i in page.items], next_cursor=page.cursor)


@router.post(
    "/sla-policies",
    summary="Create an SLA policy for a group or a channel (admins)",
    tags=["sla"],
    responses={
        201: {
            "description": "created",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SlaPolicyView"}}},
        }
    },
)
def create_sla_policy(request: SlaPolicyCreate):
    principal = principal_of(router.current_event)
    view = SlaPolicyView.model_validate(policies.create(services(), principal, request))
    return json_response(201, view.model_dump(mode="json"))


@router.patch("/sla-policies/<policy_id>", summary="Change an SLA policy's name or targets (admins)", tags=["sla"])
def update_sla_policy(policy_id: PolicyId, request: SlaPolicyPatch) -> SlaPolicyView:
    principal = principal_of(router.current_event)
    return SlaPolicyView.model_validate(policies.update(services(), principal, policy_id, request))


@router.delete(
    "/sla-policies/<policy_id>",
    summary="Delete an SLA policy (admins)",
    tags=["sla"],
    responses={204: {"description": "deleted"}},
)
def delete_sla_policy(policy_id: PolicyId):
    principal = principal_of(router.current_event)
    policies.delete(services(), principal, policy_id)
    return json_response(204, {})
