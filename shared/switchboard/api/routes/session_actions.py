"""Operators' actions on a session: assign, resolve, read, notes, no-reply-needed, tags, attachments."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel, ConfigDict, Field

from switchboard.api.auth import principal_of
from switchboard.api.errors import json_response
from switchboard.api.params import ResourceId
from switchboard.api.views import NoteView, SessionView
from switchboard.outbound import media
from switchboard.outbound.sending import allowed_media_types
from switchboard.services import services
from switchboard.sessions import actions
from switchboard.storage.attachments import UPLOAD_URL_SECONDS, AttachmentStore

router = Router()

SessionId = ResourceId


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssignRequest(_Body):
    operator_id: str | None = Field(None, min_length=1, max_length=128)
    group_id: str | None = Field(None, min_length=1, max_length=128)


class ResolveRequest(_Body):
    outcome: str = Field(min_length=1, max_length=64)
    note: str | None = Field(None, max_length=4000)


class NoteRequest(_Body):
    text: str = Field(min_length=1, max_length=4000)


class TagsRequest(_Body):
    tags: list[Annotated[str, Field(max_length=64)]] = Field(max_length=50)


class AttachmentRequest(_Body):
    filename: str = Field(min_length=1, max_length=240)
    content_type: str = Field(min_length=3, max_length=128)
    size: int = Field(ge=1)


class AttachmentUpload(BaseModel):
    key: str
    upload_url: str
    method: str = "PUT"
    headers: dict[str, str]
    expires_in: int
    kind: str


@router.post("/sessions/<session_id>/assign", summary="Assign or transfer to an operator or a group",
             tags=["sessions"])
def assign_session(session_id: SessionId, request: AssignRequest) -> SessionView:
    principal = principal_of(router.current_event)
    return SessionView.of(actions.assign(services(), principal, session_id, request.operator_id, request.group_id))


@router.post("/sessions/<session_id>/resolve", summary="Resolve with an outcome (assignee or admin)",
             tags=["sessions"])
def resolve_session(session_id: SessionId, request: ResolveRequest) -> SessionView:
    principal = principal_of(router.current_event)
    return SessionView.of(actions.resolve(services(), principal, session_id, request.outcome, request.note))


@router.post("/sessions/<session_id>/read", summary="Mark read (and send WhatsApp a read receipt)",
             tags=["sessions"])
def mark_session_read(session_id: SessionId) -> SessionView:
    principal = principal_of(router.current_event)
    return SessionView.of(actions.mark_read(services(), principal, session_id))


@router.post("/sessions/<session_id>/no-reply-needed", summary="The customer's last message needs no reply",
             tags=["sessions"])
def mark_no_reply_needed(session_id: SessionId) -> SessionView:
    principal = principal_of(router.current_event)
    return SessionView.of(actions.no_reply_needed(services(), principal, session_id))


@router.put("/sessions/<session_id>/tags", summary="Replace the session's tags", tags=["sessions"])
def set_session_tags(session_id: SessionId, request: TagsRequest) -> SessionView:
    principal = principal_of(router.current_event)
    return SessionView.of(actions.set_tags(services(), principal, session_id, request.tags))


@router.post("/sessions/<session_id>/notes", summary="Add an internal note", tags=["sessions"],
             responses={201: {"description": "the note", "content": {"application/json": {"model": NoteView}}}})
def add_session_note(session_id: SessionId, request: NoteRequest):  # noqa: ANN201 - see responses
    principal = principal_of(router.current_event)
    note = actions.add_note(services(), principal, session_id, request.text)
    return json_response(201, NoteView.of(note).model_dump(mode="json"))


@router.post("/sessions/<session_id>/attachments", summary="A presigned URL to upload a file to send",
             tags=["sending"])
def create_attachment_upload(session_id: SessionId, request: AttachmentRequest) -> AttachmentUpload:
    principal = principal_of(router.current_event)
    svc = services()
    actions.load(svc, principal.tenant_id, session_id)
    spec = media.media_type(request.content_type, request.size, allowed_media_types(svc, principal.tenant_id))
    key = media.upload_key(principal.tenant_id, session_id, request.filename)
    content_type = request.content_type.split(";")[0].strip().lower()
    url = AttachmentStore(svc.settings.need("media_bucket_name")).upload_url(key, content_type)
    return AttachmentUpload(key=key, upload_url=url, headers={"Content-Type": content_type},
                            expires_in=UPLOAD_URL_SECONDS, kind=spec.kind)
