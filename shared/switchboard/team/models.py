"""What the team's routes accept and return."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from switchboard.team.hours import BusinessHours

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z_.:@-]+$")]
Role = Literal["operator", "admin"]
Presence = Literal["online", "away", "offline"]
RoutingMode = Literal["round_robin", "least_busy", "offer"]
Language = Annotated[
    str, Field(min_length=2, max_length=16, pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")
]
MAX_CAPACITY = 100


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OperatorInvite(_Body):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    role: Role = "operator"
    languages: list[Language] = Field(default_factory=list, max_length=20)
    groups: list[Id] = Field(default_factory=list, max_length=50)
    capacity: int = Field(3, ge=0, le=MAX_CAPACITY)


class OperatorPatch(_Body):
    """``name`` and ``languages`` an operator may change on their own profile; the rest is for admins."""

    name: str | None = Field(None, min_length=1, max_length=200)
    languages: list[Language] | None = Field(None, max_length=20)
    role: Role | None = None
    groups: list[Id] | None = Field(None, max_length=50)
    capacity: int | None = Field(None, ge=0, le=MAX_CAPACITY)
    disabled: bool | None = None


ADMIN_FIELDS = frozenset({"role", "groups", "capacity", "disabled"})  # of OperatorPatch


class OperatorView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    operator_id: str
    name: str
    email: str
    role: Role
    languages: list[str] = []
    groups: list[str] = []
    capacity: int
    disabled: bool = False
    presence: Presence = "offline"
    presence_expires_at: str | None = None
    open_count: int = 0
    created_at: str
    updated_at: str


class PresenceRequest(_Body):
    status: Presence


class GroupCreate(_Body):
    name: str = Field(min_length=1, max_length=200)
    members: list[Id] = Field(default_factory=list, max_length=99)
    routing_mode: RoutingMode = "round_robin"
    business_hours: BusinessHours | None = None
    # A customer's message unanswered this long alerts the assignee (or the members) by email: docs/sla.md
    unanswered_alert_seconds: int | None = Field(None, ge=60, le=30 * 86400)


class GroupPatch(_Body):
    name: str | None = Field(None, min_length=1, max_length=200)
    members: list[Id] | None = Field(None, max_length=99)
    routing_mode: RoutingMode | None = None
    business_hours: BusinessHours | None = None
    unanswered_alert_seconds: int | None = Field(None, ge=60, le=30 * 86400)


class GroupView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    group_id: str
    name: str
    members: list[str] = []
    routing_mode: RoutingMode
    business_hours: dict[str, Any] | None = None
    unanswered_alert_seconds: int | None = None
    created_at: str
    updated_at: str


class RuleMatch(_Body):
    """Every condition given must hold; ``attributes`` are the contact's custom attributes (equality),
    ``tags`` must all be on the contact (or the session), ``in_business_hours`` uses the channel's hours."""

    channel_id: str | None = Field(None, max_length=64)
    language: Language | None = None
    tags: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=20)
    attributes: dict[str, str | int | float | bool] = Field(default_factory=dict, max_length=20)
    in_business_hours: bool | None = None


class RoutingRule(_Body):
    name: str | None = Field(None, max_length=200)
    match: RuleMatch = Field(default_factory=RuleMatch)
    group_id: Id


class RoutingRules(_Body):
    rules: list[RoutingRule] = Field(default_factory=list, max_length=100)
    default_group_id: Id | None = None


class ChannelHours(_Body):
    business_hours: BusinessHours | None = None
    away_message: str | None = Field(None, min_length=1, max_length=4096)


class TransferRequest(_Body):
    operator_id: Id | None = None
    group_id: Id | None = None
    note: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _somewhere(self) -> TransferRequest:
        if not self.operator_id and not self.group_id:
            raise ValueError("give operator_id or group_id")
        return self


class Attachment(_Body):
    key: str = Field(min_length=1, max_length=1024)
    filename: str | None = Field(None, max_length=240)
    content_type: str | None = Field(None, max_length=128)


class CannedCreate(_Body):
    shortcut: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_./-]+$")
    text: str = Field(min_length=1, max_length=4096)
    scope: Literal["tenant", "personal"] = "personal"
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)


class CannedPatch(_Body):
    shortcut: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_./-]+$")
    text: str | None = Field(None, min_length=1, max_length=4096)
    attachments: list[Attachment] | None = Field(None, max_length=10)


class CannedView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    canned_response_id: str
    shortcut: str
    text: str
    scope: Literal["tenant", "personal"]
    owner_id: str | None = None
    attachments: list[dict[str, Any]] = []
    placeholders: list[str] = []
    created_at: str
    updated_at: str
    by: str | None = None


class CannedSend(_Body):
    session_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")
