"""Channels: a tenant's WhatsApp business numbers and email mailboxes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Channel(BaseModel):
    """A channel's public configuration. Its credentials (access token, app secret, verify token,
    signing keys) live in Secrets Manager under ``secret_name``, never in the table."""

    model_config = ConfigDict(extra="ignore")

    tenant_id: str
    channel_id: str
    kind: Literal["whatsapp", "email"]
    name: str
    secret_name: str
    # WhatsApp
    phone_number_id: str | None = None
    display_phone_number: str | None = None
    waba_id: str | None = None
    throughput_mps: int = Field(80, ge=1, le=1000)
    # Meta's throughput level of the number (STANDARD 80 mps, HIGH 1,000 mps; docs/pricing.md), as last read
    throughput_level: str | None = None
    # Campaigns of MARKETING templates go through the Marketing Messages API (/<PHONE_NUMBER_ID>/marketing_messages)
    marketing_messages: bool = False
    # Email
    address: str | None = None
    # Other addresses that deliver to this mailbox (a forwarding alias): a Mailgun post must be addressed to
    # the mailbox, one of these, or a plus address of either (docs/email.md)
    aliases: list[str] = Field(default_factory=list, max_length=20)
    # Behaviour
    may_write_first: bool = False
    reopen_period_hours: int = Field(72, ge=0)
    # The satisfaction survey after resolve (docs/reports.md), switched on by an admin (None: off, and not
    # stored, so the items the inbound path reads stay as small as before).
    csat_enabled: bool | None = None
    # Administration: a disabled channel receives nothing (its routes are gone) and sends nothing; a PATCH of
    # its credentials raises secrets_version, so every process fetches them again at once.
    disabled: bool = False
    secrets_version: int = 0


class WhatsAppSecrets(BaseModel):
    access_token: str
    app_secret: str
    verify_token: str


def addressed_to(channel: Channel, recipients: list[str]) -> bool:
    """Whether one of ``recipients`` is the channel's mailbox or a declared alias (a ``local+tag@`` plus
    address of either too: our reply addresses are those). Compared without case."""
    ours = {a.strip().lower() for a in [channel.address or "", *channel.aliases] if a and "@" in a}
    for recipient in recipients:
        local, _, domain = recipient.strip().lower().rpartition("@")
        if not local or not domain:
            continue
        if f"{local}@{domain}" in ours or f"{local.split('+', 1)[0]}@{domain}" in ours:
            return True
    return False
