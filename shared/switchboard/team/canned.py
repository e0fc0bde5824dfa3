"""Canned responses: tenant-wide (admins write them) or personal, found by shortcut prefix, rendered on the
server when sent. Placeholders: ``{{contact.name}}``, ``{{contact.email}}``, ``{{contact.phone}}``,
``{{contact.language}}``, ``{{operator.name}}``, ``{{operator.email}}`` and ``{{contact.attributes.NAME}}``
(a contact's custom attribute). An unknown placeholder is a 422 naming it, when the response is saved and
when it is sent; so is an attribute the contact does not have (the customer never reads a hole)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from switchboard import clock, ids
from switchboard.clients.eventbus import DomainEvent
from switchboard.errors import Forbidden, InvalidInput, NotFound
from switchboard.services import Services
from switchboard.storage.dynamo import strip_keys
from switchboard.storage.pagination import decode_position, encode_position
from switchboard.storage.team import Missing
from switchboard.team.models import CannedCreate, CannedPatch

if TYPE_CHECKING:  # who calls: a shared rule the API builds from the token
    from switchboard.domain.principal import Principal

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
FIELDS = {
    "contact.name",
    "contact.email",
    "contact.phone",
    "contact.language",
    "operator.name",
    "operator.email",
}
_ATTRIBUTE = re.compile(r"^contact\.attributes\.([A-Za-z0-9_.-]{1,64})$")


class UnknownPlaceholder(InvalidInput):
    code = "unknown_placeholder"


def placeholders(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(text)))


def check_placeholders(text: str, field: str = "text") -> list[str]:
    found = placeholders(text)
    for name in found:
        if name not in FIELDS and not _ATTRIBUTE.match(name):
            raise UnknownPlaceholder(f"unknown placeholder {{{{{name}}}}}", field=field, placeholder=name)
    return found


def render(text: str, contact: dict[str, Any], operator: dict[str, Any]) -> str:
    phones, emails = contact.get("phones") or [], contact.get("emails") or []
    values = {
        "contact.name": contact.get("name"),
        "contact.email": emails[0] if emails else None,
        "contact.phone": phones[0] if phones else None,
        "contact.language": contact.get("language"),
        "operator.name": operator.get("name"),
        "operator.email": operator.get("email"),
    }

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        attribute = _ATTRIBUTE.match(name)
        value = (contact.get("attributes") or {}).get(attribute.group(1)) if attribute else values.get(name)
        if name not in FIELDS and not attribute:
            raise UnknownPlaceholder(f"unknown placeholder {{{{{name}}}}}", field="text", placeholder=name)
        if value is None or value == "":
            raise UnknownPlaceholder(
                f"the contact has no value for {{{{{name}}}}}", field="text", placeholder=name
            )
        return str(value)

    return PLACEHOLDER.sub(value_of, text)


def view(item: dict[str, Any]) -> dict[str, Any]:
    data = strip_keys(item)
    data["placeholders"] = placeholders(data.get("text", ""))
    return data


def _visible(item: dict[str, Any] | None, principal: Principal) -> dict[str, Any]:
    if item is None or (item.get("owner_id") and item["owner_id"] != principal.operator_id):
        raise NotFound("no such canned response")
    return item


def _may_write(item: dict[str, Any], principal: Principal) -> None:
    if item.get("scope") == "tenant":
        principal.require_admin()


def create(services: Services, principal: Principal, request: CannedCreate) -> dict[str, Any]:
    if request.scope == "tenant":
        principal.require_admin()
    check_placeholders(request.text)
    response_id = ids.new_id()
    fields = {
        "canned_response_id": response_id,
        "shortcut": request.shortcut,
        "text": request.text,
        "scope": request.scope,
        "owner_id": principal.operator_id if request.scope == "personal" else None,
        "attachments": [a.model_dump(exclude_none=True) for a in request.attachments],
        "by": principal.operator_id,
    }
    item = services.canned_responses.create(principal.tenant_id, fields, clock.iso(clock.now()))
    services.bus.publish(
        [
            DomainEvent(
                "canned_response.created",
                principal.tenant_id,
                {"canned_response_id": response_id, "scope": request.scope, "by": principal.operator_id},
            )
        ]
    )
    return view(item)


def search(services: Services, principal: Principal, prefix: str, limit: int,
           cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the tenant's and the caller's own, by shortcut prefix, in shortcut order: both sources
    are read past the cursor's position (``<shortcut>#<id>``), merged, and cut at ``limit``."""
    repo = services.canned_responses
    after = decode_position(cursor)
    found = repo.search(principal.tenant_id, None, prefix, limit, after) + repo.search(
        principal.tenant_id, principal.operator_id, prefix, limit, after
    )
    found.sort(key=lambda item: (str(item["shortcut"]).lower(), str(item["canned_response_id"])))
    page = found[:limit]
    last = page[-1] if len(page) == limit else None
    next_cursor = encode_position(f"{str(last['shortcut']).lower()}#{last['canned_response_id']}") if last else None
    return [view(item) for item in page], next_cursor


def update(
    services: Services, principal: Principal, response_id: str, request: CannedPatch
) -> dict[str, Any]:
    current = _visible(services.canned_responses.get(principal.tenant_id, response_id), principal)
    _may_write(current, principal)
    fields = request.model_dump(exclude_unset=True, exclude_none=True)
    if "text" in fields:
        check_placeholders(fields["text"])
    if request.attachments is not None:
        fields["attachments"] = [a.model_dump(exclude_none=True) for a in request.attachments]
    try:
        item = services.canned_responses.update(principal.tenant_id, current, fields, clock.iso(clock.now()))
    except Missing as changed:
        raise InvalidInput("the canned response changed meanwhile; read it again", field="text") from changed
    return view(item)


def delete(services: Services, principal: Principal, response_id: str) -> None:
    current = _visible(services.canned_responses.get(principal.tenant_id, response_id), principal)
    _may_write(current, principal)
    services.canned_responses.delete(principal.tenant_id, response_id)


def rendered_for(
    services: Services, principal: Principal, response_id: str, session_id: str
) -> tuple[dict[str, Any], str]:
    """The canned response and its text rendered for the session's contact and the calling operator."""
    item = _visible(services.canned_responses.get(principal.tenant_id, response_id), principal)
    session = services.sessions.get(principal.tenant_id, session_id)
    if session is None:
        raise NotFound("no such session", session_id=session_id)
    contact = (
        services.contacts.get(principal.tenant_id, session["contact_id"])
        if session.get("contact_id")
        else None
    )
    operator = services.operators.get(principal.tenant_id, principal.operator_id) or {}
    if not operator and "operator." in item["text"]:
        raise Forbidden("you are not in this tenant's operator directory")
    return item, render(item["text"], contact or {}, operator)
