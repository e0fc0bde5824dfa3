"""Adding, editing and disabling channels (admins). Credentials go to Secrets Manager, one secret per
channel; the table keeps the channel and the routing items through which inbound traffic finds its tenant.

A new channel is found by the webhook's next delivery: a routing lookup that misses is never cached
(storage/channels.py), and the secret is new, so no process holds an old copy. A PATCH of credentials raises
the channel's ``secrets_version``; a process fetches the secret again once it sees the new channel record
(cached for at most a minute)."""

from __future__ import annotations

from typing import Any

from switchboard import ids
from switchboard.channels.models import ChannelIn, ChannelPatch, WhatsAppChannelIn
from switchboard.domain.channels import Channel
from switchboard.errors import ConcurrentUpdate, Conflict, InvalidInput, NotFound
from switchboard.services import Services
from switchboard.storage.channels import ChannelTaken
from switchboard.storage.secrets import SecretStore

_TAKEN = {"wa": "phone_number_id", "waba": "waba_id", "email": "address", "verify": "verify_token",
          "channel": "channel_id"}
WHATSAPP_ONLY = ("display_phone_number", "throughput_mps", "marketing_messages", "access_token", "app_secret", "verify_token")
EMAIL_ONLY = ("mailgun_signing_key",)


def create(services: Services, tenant_id: str, request: ChannelIn,
           secrets: SecretStore | None = None) -> Channel:
    secrets = secrets or SecretStore()
    channel_id = ids.new_id().lower()
    secret_name = f"{services.settings.secrets_prefix}{tenant_id}/{channel_id}"
    if isinstance(request, WhatsAppChannelIn):
        channel = Channel(tenant_id=tenant_id, channel_id=channel_id, kind="whatsapp", name=request.name,
                          secret_name=secret_name, phone_number_id=request.phone_number_id,
                          waba_id=request.waba_id, display_phone_number=request.display_phone_number,
                          may_write_first=request.may_write_first,
                          reopen_period_hours=request.reopen_period_hours,
                          csat_enabled=request.csat_enabled or None,
                          throughput_mps=request.throughput_mps, marketing_messages=request.marketing_messages)
        secret: dict[str, Any] = {"access_token": request.access_token, "app_secret": request.app_secret,
                                  "verify_token": request.verify_token}
        verify_token: str | None = request.verify_token
    else:
        channel = Channel(tenant_id=tenant_id, channel_id=channel_id, kind="email", name=request.name,
                          secret_name=secret_name, address=str(request.address).lower(),
                          may_write_first=request.may_write_first,
                          reopen_period_hours=request.reopen_period_hours,
                          csat_enabled=request.csat_enabled or None)
        secret = {"mailgun_signing_key": request.mailgun_signing_key} if request.mailgun_signing_key else {}
        verify_token = None
    secrets.create(secret_name, secret)
    try:
        services.channels.create(channel, verify_token)
    except ChannelTaken as taken:
        secrets.delete(secret_name)
        field = _TAKEN.get(taken.kind, "body")
        raise Conflict(f"another channel already uses this {field}", code="channel_taken", field=field) from taken
    except BaseException:
        secrets.delete(secret_name)
        raise
    return channel


def update(services: Services, tenant_id: str, channel_id: str, patch: ChannelPatch,
           secrets: SecretStore | None = None) -> Channel:
    secrets = secrets or SecretStore()
    found = services.channels.revision_of(tenant_id, channel_id)
    if found is None:
        raise NotFound("no such channel", channel_id=channel_id)
    before, revision = found
    if before.disabled:
        raise Conflict("the channel is disabled", code="channel_disabled")
    changes = patch.settings()
    if "csat_enabled" in changes:  # off is not stored (the items the inbound path reads stay small)
        changes["csat_enabled"] = changes["csat_enabled"] or None
    new_secrets = patch.secrets()
    wrong = [f for f in (*changes, *new_secrets)
             if f in (WHATSAPP_ONLY if before.kind == "email" else EMAIL_ONLY)]
    if wrong:
        raise InvalidInput(f"a {before.kind} channel has no {wrong[0]}", field=wrong[0])
    old_verify_token = None
    if new_secrets:
        current = secrets.get(before.secret_name)
        old_verify_token = current.get("verify_token")
        secrets.put(before.secret_name, {**current, **new_secrets})
        changes["secrets_version"] = before.secrets_version + 1
    after = before.model_copy(update=changes)
    try:
        services.channels.update(before, after, revision, old_verify_token=old_verify_token,
                                 new_verify_token=new_secrets.get("verify_token"))
    except ChannelTaken as taken:
        raise Conflict("another channel already uses this verify_token", code="channel_taken",
                       field="verify_token") from taken
    except ConcurrentUpdate as conflict:
        raise Conflict("the channel changed meanwhile; read it and try again",
                       code="channel_changed") from conflict
    return after


def disable(services: Services, tenant_id: str, channel_id: str, secrets: SecretStore | None = None) -> None:
    """The channel's routes go: its number or mailbox receives nothing more. Its sessions and messages
    stay. Disabling twice is fine."""
    found = services.channels.revision_of(tenant_id, channel_id)
    if found is None:
        raise NotFound("no such channel", channel_id=channel_id)
    before, revision = found
    if before.disabled:
        return
    secrets = secrets or SecretStore()
    verify_token = secrets.get(before.secret_name).get("verify_token") if before.kind == "whatsapp" else None
    try:
        services.channels.update(before, before.model_copy(update={"disabled": True}), revision,
                                 old_verify_token=verify_token)
    except ConcurrentUpdate as conflict:
        raise Conflict("the channel changed meanwhile; try again", code="channel_changed") from conflict
