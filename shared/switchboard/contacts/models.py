"""What the directory's API takes and returns (they also shape the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from switchboard.domain.contacts import BlockFor
from switchboard.storage.dynamo import strip_keys

Name = Field(min_length=1, max_length=200)
# DynamoDB numbers hold 38 digits; attribute numbers stay well inside.
AttributeValue = str | Annotated[int, Field(ge=-(10**15), le=10**15)] | bool
_ATTRIBUTE_NAME = r"^[a-z][a-z0-9_]{0,63}$"


class Identity(BaseModel):
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="wa, bsuid, or another channel's kind")
    value: str = Field(min_length=1, max_length=128)
    channel_id: str | None = Field(None, max_length=64)


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Name
    emails: list[Annotated[str, Field(max_length=254)]] = Field(default_factory=list, max_length=10)
    phones: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=10)
    identities: list[Identity] = Field(default_factory=list, max_length=10)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict, max_length=30)
    tags: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=30)
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


class ContactPatch(BaseModel):
    """Only the fields sent change; a list or the attributes map is replaced whole."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    emails: list[Annotated[str, Field(max_length=254)]] | None = Field(None, max_length=10)
    phones: list[Annotated[str, Field(max_length=40)]] | None = Field(None, max_length=10)
    identities: list[Identity] | None = Field(None, max_length=10)
    attributes: dict[str, AttributeValue | None] | None = Field(None, max_length=30)
    tags: list[Annotated[str, Field(max_length=64)]] | None = Field(None, max_length=30)
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


class IdentifierIn(BaseModel):
    kind: str = Field(pattern=r"^(phone|email|wa|bsuid|attr:[a-z][a-z0-9_]{0,63})$")
    value: str = Field(min_length=1, max_length=256)
    channel_id: str | None = Field(None, max_length=64, description="for wa and bsuid identities")


class MergeIn(BaseModel):
    contact_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$",
                            description="the contact merged into this one (it is deleted)")


class BlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duration: BlockFor = Field(description="hour, tomorrow, next_week, next_month, forever, or until")
    until: datetime | None = Field(None, description="with duration=until: when the block ends (with a zone)")
    reason: str | None = Field(None, max_length=500)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class LinkIn(BaseModel):
    contact_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")


class AttributeDefinition(BaseModel):
    name: str = Field(pattern=_ATTRIBUTE_NAME)
    label: str | None = Field(None, max_length=200)
    identifying: bool = Field(False, description="values are unique per tenant (e.g. a CRM id)")


class AttributeDefinitions(BaseModel):
    definitions: list[AttributeDefinition] = Field(max_length=100)


class IdentityView(Identity):
    """A channel identity as the directory shows it: a business-scoped user id says which one it replaced
    (``replaces``: the customer's BSUID changed) and the replaced one is ``former`` (kept: the history
    stays the contact's, replies go to the newer one)."""

    parent_user_id: str | None = None
    replaces: str | None = None
    former: bool = False

    @model_serializer(mode="wrap")
    def _shown_when_they_apply(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The BSUID fields appear on the identities they describe only."""
        data = handler(self)
        for name, unset in (("parent_user_id", None), ("replaces", None), ("former", False)):
            if data.get(name) == unset:
                data.pop(name, None)
        return data


class ContactView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    contact_id: str
    name: str
    username: str | None = Field(None, description="the customer's WhatsApp username, when they have one")
    emails: list[str] = []
    phones: list[str] = []
    identities: list[IdentityView] = []
    attributes: dict[str, Any] = {}
    tags: list[str] = []
    language: str | None = None
    blocked: bool = False
    blocked_until: str | None = None
    block_reason: str | None = None
    anonymized_at: str | None = None
    possible_duplicate_of: str | None = Field(None, description="an existing contact whose address looks the "
                                                              "same (full-width, Cyrillic а, ligature): merge?")
    created_at: str
    updated_at: str
    last_activity_at: str | None = None
    # coexistence (docs/coexistence.md): the name the business's WhatsApp Business app address book gives,
    # and who set ``name`` (operator, address_book; absent: the first message's profile)
    address_book_name: str | None = None
    name_source: str | None = None

    @classmethod
    def of(cls, item: dict[str, Any], blocked: bool) -> ContactView:
        data = strip_keys(item)
        identities = [dict(i) for i in data.get("identities") or [] if isinstance(i, dict)]
        replaced = {i.get("replaces") for i in identities if i.get("replaces")}
        for identity in identities:
            identity["former"] = identity.get("kind") == "bsuid" and identity.get("value") in replaced
        usernames = [i["value"] for i in identities if i.get("kind") == "username" and i.get("value")]
        return cls.model_validate({**data, "identities": identities, "blocked": blocked,
                                   "username": usernames[-1] if usernames else None})


class Change(BaseModel):
    field: str
    old: Any = None
    new: Any = None


class HistoryEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: str = Field(description="created, updated, identifier_added, identifier_removed, merged, blocked, "
                                  "unblocked, note, session_linked, session_unlinked, anonymized, session, "
                                  "message (sent outside a session, e.g. by a campaign, or kept while blocked)")
    occurred_at: str
    by: str | None = None
    changes: list[Change] = []
    text: str | None = None
    session_id: str | None = None
    channel_id: str | None = None
    merged_contact_id: str | None = None
    details: dict[str, Any] = {}

    @classmethod
    def of(cls, item: dict[str, Any]) -> HistoryEntry:
        """A stored entry (its time kept as ``at``) as the API names it."""
        return cls.model_validate({**item, "occurred_at": item["at"]})


class MergeResult(BaseModel):
    contact: ContactView
    merged_contact_id: str
