"""What the campaign API takes and returns (they also shape the OpenAPI document)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from switchboard.domain.campaign_states import CampaignStatus, state_of
from switchboard.storage.dynamo import strip_keys

_ID = r"^[0-9A-Za-z_-]+$"
Literal_ = str | int | float


class FromContact(BaseModel):
    """A value taken from the recipient's contact: ``contact.name``, ``contact.phone``, ``contact.email``,
    ``contact.language``, ``contact.id`` or ``contact.attributes.<name>``; ``default`` when it has none."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from",
                       pattern=r"^contact\.(name|phone|email|language|id|attributes\.[A-Za-z0-9_]{1,64})$")
    default: Literal_ | None = None


class Fixed(BaseModel):
    """The same value for every recipient."""

    model_config = ConfigDict(extra="forbid")

    value: Literal_


ParameterSource = FromContact | Fixed


class ButtonParameter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0, le=9)
    sub_type: Literal["url", "quick_reply", "copy_code"]
    value: ParameterSource


class CampaignParameters(BaseModel):
    """Per-recipient template parameters, shaped like a send's (docs/templates.md) with a source in place of
    each value: ``{"body": {"customer_name": {"from": "contact.name"}, "code": {"value": "X1"}}}``; a
    positional template takes a list (``{"body": [{"from": "contact.name"}]}``)."""

    model_config = ConfigDict(extra="forbid")

    header: dict[str, ParameterSource] | list[ParameterSource] | None = None
    body: dict[str, ParameterSource] | list[ParameterSource] | None = None
    buttons: list[ButtonParameter] | None = Field(None, max_length=10)


class CampaignTemplate(BaseModel):
    name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=2, max_length=16)


class ScheduleIn(BaseModel):
    """Once at ``run_at`` (a time with an offset, or a wall-clock time in ``time_zone``), or on a ``cron``
    expression (EventBridge's six fields, e.g. ``cron(0 9 ? * MON-FRI *)``) read in ``time_zone``."""

    model_config = ConfigDict(extra="forbid")

    run_at: datetime | None = None
    cron: str | None = Field(None, max_length=256)
    time_zone: str = Field("UTC", max_length=64)

    @model_validator(mode="after")
    def _one_of(self) -> ScheduleIn:
        if (self.run_at is None) == (self.cron is None):
            raise ValueError("give exactly one of run_at and cron")
        return self


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    channel_id: str = Field(min_length=1, max_length=64, pattern=_ID)
    template: CampaignTemplate
    parameters: CampaignParameters = Field(default_factory=CampaignParameters)
    schedule: ScheduleIn | None = Field(None, description="none: the campaign goes out when started")
    rate: int | None = Field(None, ge=1, le=1000, description="messages a second; default: the channel's "
                             "throughput, and never above it")


class RecipientFilter(BaseModel):
    """A directory filter: the contacts that match all of what is given."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, max_length=200, description="full text on name, email, phone")
    tag: str | None = Field(None, max_length=100)
    attributes: dict[str, str] = Field(default_factory=dict, max_length=10)
    blocked: bool | None = None
    created_from: str | None = Field(None, max_length=40)
    created_to: str | None = Field(None, max_length=40)
    active_from: str | None = Field(None, max_length=40)
    active_to: str | None = Field(None, max_length=40)


class RecipientsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_ids: list[str] = Field(default_factory=list, max_length=1000)
    filter: RecipientFilter | None = Field(None, description="every contact the directory search finds (up "
                                           "to 5,000 a request; pass next_cursor back as cursor for more)")
    cursor: str | None = Field(None, max_length=2048)

    @model_validator(mode="after")
    def _one_of(self) -> RecipientsIn:
        if bool(self.contact_ids) == (self.filter is not None):
            raise ValueError("give contact_ids or a filter")
        for contact_id in self.contact_ids:
            if not contact_id or len(contact_id) > 64 or not all(c.isalnum() or c in "_-" for c in contact_id):
                raise ValueError(f"'{contact_id[:64]}' is not a contact id")
        return self


class RecipientsAdded(BaseModel):
    added: int
    already_present: int
    total: int
    next_cursor: str | None = None


class Counts(BaseModel):
    pending: int = 0
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    replied: int = 0
    skipped: int = 0


class ScheduleView(BaseModel):
    run_at: str | None = None
    cron: str | None = None
    time_zone: str = "UTC"


class CampaignView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    campaign_id: str
    name: str
    channel_id: str
    template: CampaignTemplate
    parameters: dict[str, Any] = {}
    schedule: ScheduleView | None = None
    rate: int
    status: CampaignStatus
    status_reason: str | None = None
    status_detail: str | None = None
    total: int = 0
    counts: Counts | None = None
    created_at: str
    updated_at: str
    started_at: str | None = None
    completed_at: str | None = None
    next_run_at: str | None = None

    @classmethod
    def of(cls, item: dict[str, Any], counts: dict[str, int] | None = None) -> CampaignView:
        data = strip_keys(item, extra=("lease_owner", "lease_until", "parameters_json"))
        data["parameters"] = json.loads(item.get("parameters_json") or "{}")
        data["total"] = data.pop("recipient_total", 0)
        schedule = data.get("schedule")
        if isinstance(schedule, dict) and "at" in schedule:  # stored as "at"
            data["schedule"] = {**{k: v for k, v in schedule.items() if k != "at"}, "run_at": schedule["at"]}
        if counts is not None:
            data["counts"] = Counts(**counts)
        return cls.model_validate(data)


class RecipientView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    contact_id: str
    status: str
    reason: str | None = None
    detail: str | None = None
    message_id: str | None = None
    statuses: dict[str, str] = {}
    added_at: str
    queued_at: str | None = None
    replied_at: str | None = None

    @classmethod
    def of(cls, item: dict[str, Any]) -> RecipientView:
        data = strip_keys(item)
        data["status"] = state_of(str(data.get("status", "pending")))
        return cls.model_validate(data)

