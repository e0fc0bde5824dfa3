"""Channels and the routing items through which inbound traffic finds its tenant."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from switchboard import aws
from switchboard.domain.channels import Channel, WhatsAppSecrets
from switchboard.storage import keys
from switchboard.storage.dynamo import Table, Transaction, strip_keys

_CACHE_SECONDS = 60.0
# Powertools builds its default Secrets Manager provider on first use; concurrent first calls (a batch
# sent on several threads) would each build one, with its own boto3 client.
_SECRETS_LOCK = threading.Lock()


def verify_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ChannelRepository:
    """Reads are cached per process for a minute: the webhook and the inbound worker look a channel up
    for every event, and channels change rarely."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._cache: dict[tuple[str, str], tuple[float, Channel | None]] = {}

    def save(self, channel: Channel, verify_token: str | None = None) -> None:
        """Store the channel and its routing items in one transaction."""
        record = channel.model_dump(mode="json", exclude_none=True)
        tx = Transaction()
        tx.put({**keys.channel(channel.tenant_id, channel.channel_id), **record})
        for kind, value in self._routes(channel):
            registry = ({keys.GSI1_PK: keys.WHATSAPP_CHANNELS_INDEX, keys.GSI1_SK: f"{channel.tenant_id}#{value}"}
                        if kind == "channel" and channel.kind == "whatsapp" else {})  # template sync's walk
            tx.put({**keys.route(kind, value), **record, **registry})
        if verify_token:
            tx.put({**keys.route("verify", verify_token_digest(verify_token)), **record})
        self.table.commit(tx)
        self._cache.clear()

    @staticmethod
    def _routes(channel: Channel) -> list[tuple[str, str]]:
        routes = []
        if channel.phone_number_id:
            routes.append(("wa", channel.phone_number_id))
        if channel.waba_id:
            routes.append(("waba", channel.waba_id))
        if channel.address:
            routes.append(("email", channel.address.lower()))
        routes.append(("channel", channel.channel_id))
        return routes

    def by_route(self, kind: str, value: str) -> Channel | None:
        cache_key = (kind, value)
        hit = self._cache.get(cache_key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        item = self.table.get(keys.route(kind, value))
        channel = Channel.model_validate(strip_keys(item)) if item else None
        self._cache[cache_key] = (time.monotonic() + _CACHE_SECONDS, channel)
        return channel

    def by_phone_number_id(self, phone_number_id: str) -> Channel | None:
        return self.by_route("wa", phone_number_id)

    def by_waba_id(self, waba_id: str) -> Channel | None:
        return self.by_route("waba", waba_id)

    def by_id(self, channel_id: str) -> Channel | None:
        return self.by_route("channel", channel_id)

    def verify_token_known(self, token: str) -> bool:
        return self.by_route("verify", verify_token_digest(token)) is not None

    def get(self, tenant_id: str, channel_id: str) -> Channel | None:
        item = self.table.get(keys.channel(tenant_id, channel_id))
        return Channel.model_validate(strip_keys(item)) if item else None

    def list(self, tenant_id: str) -> list[Channel]:
        response = self.table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": keys.tenant(tenant_id), ":prefix": "CHANNEL#"},
        )
        return [Channel.model_validate(strip_keys(item)) for item in response["Items"]]


def whatsapp_secrets(channel: Channel) -> WhatsAppSecrets:
    """The channel's credentials from Secrets Manager, cached by Powertools Parameters (imported by the
    first read: storing a text message needs no secret)."""
    with _SECRETS_LOCK:
        value: Any = _secrets_provider().get(channel.secret_name, transform="json", max_age=300)
    return WhatsAppSecrets.model_validate(value)


def _secrets_provider() -> Any:
    """Powertools' default Secrets Manager provider, on the process's own client (switchboard.aws): left to
    itself, Parameters opens a boto3 session of its own, which loads botocore's data again (about 35 ms of
    a cold start). Replaced when the clients are (``aws.reset``); ``parameters.clear_caches`` clears it."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    client = aws.client("secretsmanager")
    provider = DEFAULT_PROVIDERS.get("secrets")
    if provider is None or getattr(provider, "client", None) is not client:
        provider = DEFAULT_PROVIDERS["secrets"] = SecretsProvider(boto3_client=client)
    return provider
