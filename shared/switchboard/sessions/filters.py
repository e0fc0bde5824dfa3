"""The session list's filters as a request carries them (query parameters or a saved filter's body), and
saved filters: an operator's own, or shared with the tenant (docs/search.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from switchboard import clock, ids
from switchboard.domain.conversation_search import SessionFilters
from switchboard.domain.principal import Principal
from switchboard.domain.search import fold
from switchboard.errors import Forbidden, InvalidInput, NotFound
from switchboard.services import Services
from switchboard.storage.pagination import Page, decode_position, encode_position
from switchboard.storage.saved_filters import SavedFilterRepository

MAX_SAVED_FILTERS = 100  # per list (an operator's own, or the tenant's shared ones)
_Id = Field(None, max_length=128, pattern=r"^[0-9A-Za-z_.:@-]+$")


class SessionFilterSet(BaseModel):
    """What GET /sessions takes besides the cursor and limit; a saved filter stores one."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, max_length=200, description="words of messages, subjects, notes, the contact")
    status: Literal["open", "awaiting_customer", "resolved"] | None = None
    channel_id: str | None = _Id
    channel_kind: Literal["whatsapp", "email"] | None = None
    operator_id: str | None = _Id
    group_id: str | None = _Id
    contact_id: str | None = _Id
    unanswered: bool | None = None
    tag: str | None = Field(None, min_length=1, max_length=64)
    rating: int | None = Field(None, ge=1, le=5, description="the customer's CSAT rating")
    created_from: AwareDatetime | None = None
    created_to: AwareDatetime | None = None
    last_activity_from: AwareDatetime | None = None
    last_activity_to: AwareDatetime | None = None
    sla: Literal["breached"] | None = None
    waiting: bool | None = Field(None, description="open and unassigned (true), or assigned (false)")

    def rules(self) -> SessionFilters:
        def moment(value: datetime | None) -> str | None:
            return clock.iso(value) if value is not None else None

        return SessionFilters(
            status=self.status, channel_id=self.channel_id, channel_kind=self.channel_kind,
            operator_id=self.operator_id, group_id=self.group_id, contact_id=self.contact_id,
            unanswered=self.unanswered, tag=self.tag, rating=self.rating,
            created_from=moment(self.created_from), created_to=moment(self.created_to),
            last_activity_from=moment(self.last_activity_from), last_activity_to=moment(self.last_activity_to),
            sla_breached=True if self.sla == "breached" else None, waiting=self.waiting)


def check_ranges(filters: SessionFilterSet) -> None:
    for low, high in (("created_from", "created_to"), ("last_activity_from", "last_activity_to")):
        start, end = getattr(filters, low), getattr(filters, high)
        if start is not None and end is not None and start > end:
            raise InvalidInput(f"{low} is after {high}", field=low)


class SavedFilterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    shared: bool = Field(False, description="shared with the tenant's operators, or only yours")
    filters: SessionFilterSet


class SavedFilterView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    filter_id: str
    name: str
    shared: bool
    filters: SessionFilterSet
    by: str
    created_at: str


def _view(item: dict[str, Any]) -> SavedFilterView:
    return SavedFilterView.model_validate(item)


def save(services: Services, principal: Principal, body: SavedFilterIn) -> SavedFilterView:
    check_ranges(body.filters)
    repo = SavedFilterRepository(services.table)
    owner = None if body.shared else principal.operator_id
    if repo.count(principal.tenant_id, owner) >= MAX_SAVED_FILTERS:
        raise InvalidInput(f"at most {MAX_SAVED_FILTERS} saved filters", field="shared")
    item = repo.create(principal.tenant_id, owner, {
        "filter_id": ids.new_id(), "name": body.name, "shared": body.shared,
        "filters": body.filters.model_dump(mode="json", exclude_none=True), "by": principal.operator_id,
        "created_at": clock.iso(clock.now())})
    return _view(item)


def _position(item: dict[str, Any]) -> str:
    return f"{1 if item.get('shared') else 0}#{fold(str(item['name']))}#{item['filter_id']}"


def listed(services: Services, principal: Principal, cursor: str | None, limit: int) -> Page:
    """The caller's own saved filters, then the tenant's shared ones, each by name: one Query of each
    (a few small items), a page of them after the cursor's position."""
    repo = SavedFilterRepository(services.table)
    items = repo.list(principal.tenant_id, principal.operator_id) + repo.list(principal.tenant_id, None)
    after = decode_position(cursor)
    ordered = sorted((i for i in items if after is None or _position(i) > after), key=_position)
    page = ordered[:limit]
    more = len(ordered) > limit
    return Page([_view(i) for i in page], encode_position(_position(page[-1])) if more else None)


def remove(services: Services, principal: Principal, filter_id: str) -> None:
    """One's own saved filter; a shared one by whoever shared it or an admin."""
    repo = SavedFilterRepository(services.table)
    if repo.delete(principal.tenant_id, principal.operator_id, filter_id):
        return
    shared = repo.get(principal.tenant_id, None, filter_id)
    if shared is None:
        raise NotFound("no such saved filter", filter_id=filter_id)
    if shared.get("by") != principal.operator_id and principal.role != "admin":
        raise Forbidden("only who shared it or an admin may delete a shared filter")
    repo.delete(principal.tenant_id, None, filter_id)
