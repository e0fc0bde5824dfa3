"""The contact directory: contacts, identifiers, merge, block, history, notes, GDPR, attribute definitions.

Admin only: erasing (DELETE), anonymising, merging and the attribute definitions. Everything else is open
to operators. A contact of another tenant does not exist (404): every key starts with the caller's tenant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.event_handler.router import Router

from switchboard import clock
from switchboard.api.auth import principal_of
from switchboard.api.errors import json_response
from switchboard.api.params import Cursor, ResourceId
from switchboard.api.views import Page
from switchboard.contacts import gdpr, merge
from switchboard.domain import contacts as rules
from switchboard.contacts.models import (
    AttributeDefinitions,
    BlockIn,
    ContactIn,
    ContactPatch,
    ContactView,
    HistoryEntry,
    IdentifierIn,
    MergeIn,
    MergeResult,
    NoteIn,
)
from switchboard.domain import blocks
from switchboard.domain.search import Filters
from switchboard.errors import InvalidInput
from switchboard.services import services

router = Router()

ContactId = ResourceId
Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
IdempotencyKey = Annotated[str | None, Header(alias="idempotency-key", min_length=1, max_length=128,
                                              pattern=r"^[\x21-\x7e]+$",
                                              description="a retried request with the same key creates once")]
Time = Annotated[datetime | None, Query(description="ISO-8601 with a zone")]


def view(item: dict) -> ContactView:
    return ContactView.of(item, blocks.is_blocked(item.get("blocked_until"), clock.now()))


def _iso(value: datetime | None, field: str) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidInput("a time needs a zone", field=field)
    return clock.iso(value)


@router.get("/contacts", summary="Search and filter contacts", tags=["contacts"])
def list_contacts(
    q: Annotated[str | None, Query(max_length=200, description="name, email or phone (prefixes)")] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    blocked: Annotated[bool | None, Query()] = None,
    created_from: Time = None,
    created_to: Time = None,
    active_from: Time = None,
    active_to: Time = None,
    cursor: Cursor = None,
    limit: Limit = 25,
) -> Page[ContactView]:
    principal = principal_of(router.current_event)
    params = router.current_event.query_string_parameters or {}
    attributes = {name[5:]: value for name, value in params.items()
                  if name.startswith("attr.") and len(name) > 5}
    filters = Filters(tag=tag, blocked=blocked, created_from=_iso(created_from, "created_from"),
                      created_to=_iso(created_to, "created_to"), active_from=_iso(active_from, "active_from"),
                      active_to=_iso(active_to, "active_to"), attributes=attributes)
    items, next_cursor = services().directory.search(principal.tenant_id, q, filters, cursor, limit)
    return Page[ContactView](items=[view(i) for i in items], next_cursor=next_cursor)


@router.post("/contacts", summary="Create a contact", tags=["contacts"],
             responses={201: {"description": "the contact (the same one again for a retried Idempotency-Key, "
                                             "with Idempotent-Replayed: true)",
                              "content": {"application/json": {"model": ContactView}}}})
def create_contact(body: ContactIn, idempotency_key: IdempotencyKey = None):  # noqa: ANN201 - see responses
    principal = principal_of(router.current_event)
    contact, created = services().directory.create(principal.tenant_id, body, principal.operator_id,
                                                   idempotency_key)
    return json_response(201, view(contact).model_dump(mode="json"),
                         None if created else {"Idempotent-Replayed": "true"})


@router.get("/contacts/<contact_id>", summary="One contact", tags=["contacts"])
def get_contact(contact_id: ContactId) -> ContactView:
    principal = principal_of(router.current_event)
    return view(services().directory.get(principal.tenant_id, contact_id))


@router.patch("/contacts/<contact_id>", summary="Edit a contact (the fields sent)", tags=["contacts"])
def update_contact(contact_id: ContactId, body: ContactPatch) -> ContactView:
    principal = principal_of(router.current_event)
    return view(services().directory.update(principal.tenant_id, contact_id, body, principal.operator_id))


@router.delete("/contacts/<contact_id>", summary="Erase a contact and its conversations (GDPR, admin)",
               tags=["contacts"], responses={204: {"description": "erased, and recorded in the audit log"}})
def erase_contact(contact_id: ContactId):  # noqa: ANN201 - 204
    principal = principal_of(router.current_event)
    principal.require_admin()
    gdpr.erase(services(), principal.tenant_id, contact_id, principal.operator_id)
    return Response(status_code=204)


@router.post("/contacts/<contact_id>/identifiers", summary="Add an identifier", tags=["contacts"])
def add_identifier(contact_id: ContactId, body: IdentifierIn) -> ContactView:
    principal = principal_of(router.current_event)
    return view(services().directory.add_identifier(principal.tenant_id, contact_id, body,
                                                    principal.operator_id))


@router.delete("/contacts/<contact_id>/identifiers/<kind>/<value>", summary="Remove an identifier",
               tags=["contacts"])
def remove_identifier(contact_id: ContactId, kind: Annotated[str, Path(max_length=70)],
                      value: Annotated[str, Path(max_length=256)]) -> ContactView:
    principal = principal_of(router.current_event)
    return view(services().directory.remove_identifier(principal.tenant_id, contact_id, kind, value,
                                                       principal.operator_id))


@router.post("/contacts/<contact_id>/merge", summary="Merge another contact into this one (admin)",
             tags=["contacts"])
def merge_contacts(contact_id: ContactId, body: MergeIn) -> MergeResult:
    principal = principal_of(router.current_event)
    principal.require_admin()
    survivor = merge.merge(services(), principal.tenant_id, contact_id, body.contact_id,
                           principal.operator_id)
    return MergeResult(contact=view(survivor), merged_contact_id=body.contact_id)


@router.post("/contacts/<contact_id>/block", summary="Block a contact", tags=["contacts"])
def block_contact(contact_id: ContactId, body: BlockIn) -> ContactView:
    principal = principal_of(router.current_event)
    return view(services().directory.block(principal.tenant_id, contact_id, body, principal.operator_id))


@router.delete("/contacts/<contact_id>/block", summary="Unblock a contact", tags=["contacts"])
def unblock_contact(contact_id: ContactId) -> ContactView:
    principal = principal_of(router.current_event)
    return view(services().directory.unblock(principal.tenant_id, contact_id, principal.operator_id))


@router.get("/contacts/<contact_id>/history", summary="The contact's timeline, newest first",
            tags=["contacts"])
def get_contact_history(contact_id: ContactId,
                    q: Annotated[str | None, Query(max_length=200, description="full text")] = None,
                    cursor: Cursor = None, limit: Limit = 50) -> Page[HistoryEntry]:
    principal = principal_of(router.current_event)
    entries, next_cursor = services().directory.history(principal.tenant_id, contact_id, q, cursor, limit)
    return Page[HistoryEntry](items=[HistoryEntry.of(e) for e in entries], next_cursor=next_cursor)


@router.post("/contacts/<contact_id>/notes", summary="Add a note to the contact", tags=["contacts"],
             responses={201: {"description": "the note, as the history shows it",
                              "content": {"application/json": {"model": HistoryEntry}}}})
def add_contact_note(contact_id: ContactId, body: NoteIn):  # noqa: ANN201 - see responses
    principal = principal_of(router.current_event)
    note = services().directory.add_note(principal.tenant_id, contact_id, body.text, principal.operator_id)
    return json_response(201, HistoryEntry.of(note).model_dump(mode="json"))


@router.post("/contacts/<contact_id>/anonymize", summary="Anonymise a contact (GDPR, admin)",
             tags=["contacts"])
def anonymize_contact(contact_id: ContactId) -> ContactView:
    principal = principal_of(router.current_event)
    principal.require_admin()
    return view(gdpr.anonymize(services(), principal.tenant_id, contact_id, principal.operator_id))


@router.get("/contact-attributes", summary="The tenant's contact attributes", tags=["contacts"])
def get_attribute_definitions() -> AttributeDefinitions:
    principal = principal_of(router.current_event)
    return AttributeDefinitions.model_validate(
        {"definitions": services().directory.attribute_definitions(principal.tenant_id)})


@router.put("/contact-attributes", summary="Define the tenant's contact attributes (admin)",
            tags=["contacts"])
def put_attribute_definitions(body: AttributeDefinitions) -> AttributeDefinitions:
    principal = principal_of(router.current_event)
    principal.require_admin()
    stored = services().directory.define_attributes(principal.tenant_id, body.definitions)
    return AttributeDefinitions.model_validate({"definitions": stored})
