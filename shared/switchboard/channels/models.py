"""What an admin sends to add or edit a channel, and what the API shows of one (never its secrets, its
tenant or where the secrets are kept)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from switchboard.domain.channels import Channel

_DIGITS = r"^[0-9]{5,20}$"
_SECRET = Field(min_length=1, max_length=1024)
SECRET_FIELDS = ("access_token", "app_secret", "verify_token", "mailgun_signing_key")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WhatsAppChannelIn(_Body):
    """A WhatsApp business number, with the credentials of its Meta app."""

    kind: Literal["whatsapp"]
    name: str = Field("WhatsApp", min_length=1, max_length=200)
    phone_number_id: str = Field(pattern=_DIGITS, description="Meta's id of the number")
    waba_id: str = Field(pattern=_DIGITS, description="the WhatsApp business account id")
    display_phone_number: str = Field(min_length=5, max_length=32, pattern=r"^\+?[0-9 ()-]+$")
    access_token: str = _SECRET
    app_secret: str = _SECRET
    verify_token: str = _SECRET
    may_write_first: bool = False
    reopen_period_hours: int = Field(72, ge=0, le=24 * 365)
    csat_enabled: bool = False
    throughput_mps: int = Field(80, ge=1, le=1000)
    marketing_messages: bool = Field(False, description="send campaigns of MARKETING templates through Meta's "
                                     "Marketing Messages API (/<PHONE_NUMBER_ID>/marketing_messages)")


class MailboxChannelIn(_Body):
    """An email mailbox, with its Mailgun webhook signing key (inbound through Mailgun or SES)."""

    kind: Literal["email"]
    name: str = Field("Mailbox", min_length=1, max_length=200)
    address: EmailStr
    mailgun_signing_key: str | None = Field(None, min_length=1, max_length=1024)
    may_write_first: bool = True
    reopen_period_hours: int = Field(72, ge=0, le=24 * 365)
    csat_enabled: bool = False


ChannelIn = Annotated[WhatsAppChannelIn | MailboxChannelIn, Field(discriminator="kind")]


class ChannelPatch(_Body):
    """The fields sent change; a channel's numbers and address do not (add a new channel instead)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    display_phone_number: str | None = Field(None, min_length=5, max_length=32, pattern=r"^\+?[0-9 ()-]+$")
    may_write_first: bool | None = None
    reopen_period_hours: int | None = Field(None, ge=0, le=24 * 365)
    csat_enabled: bool | None = None
    throughput_mps: int | None = Field(None, ge=1, le=1000)
    marketing_messages: bool | None = None
    access_token: str | None = Field(None, min_length=1, max_length=1024)
    app_secret: str | None = Field(None, min_length=1, max_length=1024)
    verify_token: str | None = Field(None, min_length=1, max_length=1024)
    mailgun_signing_key: str | None = Field(None, min_length=1, max_length=1024)

    def settings(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if k not in SECRET_FIELDS}

    def secrets(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if k in SECRET_FIELDS}


class ChannelView(BaseModel):
    """What an admin needs of a channel. Its credentials are never shown."""

    channel_id: str
    kind: Literal["whatsapp", "email"]
    name: str
    status: Literal["active", "disabled"]
    phone_number_id: str | None = None
    display_phone_number: str | None = None
    waba_id: str | None = None
    address: str | None = None
    may_write_first: bool
    reopen_period_hours: int
    csat_enabled: bool = False
    throughput_mps: int | None = None
    throughput_level: str | None = Field(None, description="Meta's throughput level of the number (STANDARD, HIGH)")
    marketing_messages: bool | None = None

    @classmethod
    def of(cls, channel: Channel) -> ChannelView:
        data = channel.model_dump(include=set(cls.model_fields))
        data["csat_enabled"] = bool(channel.csat_enabled)
        if channel.kind != "whatsapp":
            data["throughput_mps"] = data["marketing_messages"] = None
        return cls.model_validate({**data, "status": "disabled" if channel.disabled else "active"})
