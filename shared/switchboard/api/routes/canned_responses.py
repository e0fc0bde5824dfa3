"""Canned responses: tenant-wide (admins) or personal; search by shortcut prefix; send one into a session
(rendered on the server)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.auth import principal_of
from switchboard.api.errors import json_response
from switchboard.api.params import Cursor, ResourceId
from switchboard.api.views import MessageView, Page
from switchboard.outbound.models import MediaRef, SendMessageRequest
from switchboard.outbound.sending import send_in_session
from switchboard.services import services
from switchboard.team import canned
from switchboard.team.models import CannedCreate, CannedPatch, CannedSend, CannedView

router = Router()
send_router = Router()  # served by message_send (it queues the message)

ResponseId = ResourceId
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=128)]


@router.get(
    "/canned-responses",
    summary="Canned responses: the tenant's and your own, by shortcut prefix",
    tags=["canned responses"],
)
def list_canned(
    q: Annotated[str, Query(max_length=64, description="shortcut prefix")] = "",
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Page[CannedView]:
    principal = principal_of(router.current_event)
    items, next_cursor = canned.search(services(), principal, q, limit, cursor)
    return Page[CannedView](items=[CannedView.model_validate(i) for i in items], next_cursor=next_cursor)


@router.post(
    "/canned-responses",
    summary="Create a canned response (tenant-wide: admins)",
    tags=["canned responses"],
    responses={
        201: {
            "description": "created",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CannedView"}}},
        }
    },
)
def create_canned(request: CannedCreate):
    principal = principal_of(router.current_event)
    view = CannedView.model_validate(canned.create(services(), principal, request))
    return json_response(201, view.model_dump(mode="json"))


@router.patch("/canned-responses/<response_id>", summary="Edit a canned response", tags=["canned responses"])
def update_canned(response_id: ResponseId, request: CannedPatch) -> CannedView:
    principal = principal_of(router.current_event)
    return CannedView.model_validate(canned.update(services(), principal, response_id, request))


@router.delete(
    "/canned-responses/<response_id>",
    summary="Delete a canned response",
    tags=["canned responses"],
    responses={204: {"description": "deleted"}},
)
def delete_canned(response_id: ResponseId):
    principal = principal_of(router.current_event)
    canned.delete(services(), principal, response_id)
    return json_response(204, {})


@send_router.post(
    "/canned-responses/<response_id>/send",
    summary="Send a canned response in a session "
    "(placeholders rendered here; its attachments follow as media)",
    tags=["canned responses"],
    responses={
        202: {
            "description": "queued",
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/MessageView"}}
                }
            },
        }
    },
)
def send_canned(response_id: ResponseId, request: CannedSend, idempotency_key: IdempotencyKey = None):
    principal = principal_of(send_router.current_event)
    item, text = canned.rendered_for(services(), principal, response_id, request.session_id)
    caller = principal
    sent = [
        send_in_session(
            services(),
            caller,
            request.session_id,
            SendMessageRequest(text=text),
            f"{idempotency_key}#text" if idempotency_key else None,
        )
    ]
    for index, attachment in enumerate(item.get("attachments") or []):
        sent.append(
            send_in_session(
                services(),
                caller,
                request.session_id,
                SendMessageRequest(
                    media=MediaRef(key=attachment["key"], filename=attachment.get("filename"))
                ),
                f"{idempotency_key}#{index}" if idempotency_key else None,
            )
        )
    return json_response(202, [MessageView.of(a.message).model_dump(mode="json") for a in sent])
