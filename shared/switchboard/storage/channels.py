"""Channels and the routing items through which inbound traffic finds its tenant."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from switchboard import aws
from switchboard.domain.channels import Channel, WhatsAppSecrets
from switchboard.storage import keys
from switchboard.storage.dynamo import Table, Transaction, TransactionConflict, strip_keys
from switchboard.storage.pagination import query_page

_CACHE_SECONDS = 60.0
# Powertools builds its default Secrets Manager provider on first use; concurrent first calls (a batch
# sent on several threads) would each build one, with its own boto3 client.
_SECRETS_LOCK = threading.Lock()
_SECRET_VERSIONS: dict[str, int] = {}  # the secrets_version each secret was last fetched for


def verify_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ChannelTaken(Exception):
    """Another channel already holds this phone number id, business account or address."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class ChannelRepository:
    """Reads are cached per process for a minute: the webhook and the inbound worker look a channel up
    for every event, and channels change rarely. A miss is not cached: a number an admin has just added
    (through another function's process) is found by the webhook's next delivery."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._cache: dict[tuple[str, str], tuple[float, Channel | None]] = {}

    def save(self, channel: Channel, verify_token: str | None = None) -> None:
        """Store the channel and its routing items in one transaction."""
        record = channel.model_dump(mode="json", exclude_none=True)
        tx = Transaction()
        tx.put({**keys.channel(channel.tenant_id, channel.channel_id), **record})
        for kind, value in self._routes(channel):
            tx.put({**keys.route(kind, value), **record, **self._registry(channel, kind)})
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
        if not item:
            return None
        channel = Channel.model_validate(strip_keys(item))
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
        """Every channel of the tenant, disabled ones included."""
        return [Channel.model_validate(strip_keys(item)) for item in self.table.query_items(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": keys.tenant(tenant_id), ":prefix": "CHANNEL#"})]

    def page(self, tenant_id: str, cursor: str | None, limit: int) -> tuple[list[Channel], str | None]:
        page = query_page(self.table, "pk", keys.tenant(tenant_id), cursor, limit,
                          KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                          ExpressionAttributeValues={":pk": keys.tenant(tenant_id), ":prefix": "CHANNEL#"})
        return [Channel.model_validate(strip_keys(item)) for item in page.items], page.cursor

    # Administration (POST/PATCH/DELETE /channels) ---------------------------------------------------
    def create(self, channel: Channel, verify_token: str | None = None) -> None:
        """Store a new channel and its routing items in one transaction; :class:`ChannelTaken` (nothing
        written) when another channel holds one of its numbers or addresses."""
        record = {**channel.model_dump(mode="json", exclude_none=True), "revision": 1}
        tx = Transaction()
        tx.put({**keys.channel(channel.tenant_id, channel.channel_id), **record},
               condition="attribute_not_exists(pk)")
        guarded: list[tuple[int, str]] = []
        for kind, value in self._routes(channel):
            guarded.append((tx.put({**keys.route(kind, value), **record, **self._registry(channel, kind)},
                                   condition="attribute_not_exists(pk)"), kind))
        if verify_token:
            guarded.append((tx.put({**keys.route("verify", verify_token_digest(verify_token)), **record},
                                   condition="attribute_not_exists(pk)"), "verify"))
        self._commit_guarded(tx, guarded)

    def update(self, before: Channel, after: Channel, revision: int, old_verify_token: str | None = None,
               new_verify_token: str | None = None) -> None:
        """Rewrite a channel and the copies its routing items hold, if nobody changed it since ``revision``
        (:class:`~switchboard.errors.ConcurrentUpdate` otherwise). Its numbers and address do not change."""
        if new_verify_token == old_verify_token:
            new_verify_token = None  # the same token: its routing item is rewritten below, not replaced
        record = {**after.model_dump(mode="json", exclude_none=True), "revision": revision + 1}
        tx = Transaction()
        # a channel stored without a revision (save(): the seed, older items) is revision 0
        tx.put({**keys.channel(after.tenant_id, after.channel_id), **record},
               condition="revision = :revision" if revision else "attribute_not_exists(revision)",
               values={":revision": revision} if revision else None)
        inbound = not after.disabled
        for kind, value in self._routes(after):
            if inbound or kind == "channel":
                tx.put({**keys.route(kind, value), **record, **(self._registry(after, kind) if inbound else {})})
            else:  # disabled: inbound traffic no longer finds the channel
                tx.delete(keys.route(kind, value))
        guarded: list[tuple[int, str]] = []
        if old_verify_token and (new_verify_token or not inbound):
            tx.delete(keys.route("verify", verify_token_digest(old_verify_token)))
        if new_verify_token and inbound:
            guarded.append((tx.put({**keys.route("verify", verify_token_digest(new_verify_token)), **record},
                                   condition="attribute_not_exists(pk)"), "verify"))
        elif old_verify_token and inbound:
            tx.put({**keys.route("verify", verify_token_digest(old_verify_token)), **record})
        self._commit_guarded(tx, guarded)

    def revision_of(self, tenant_id: str, channel_id: str) -> tuple[Channel, int] | None:
        item = self.table.get(keys.channel(tenant_id, channel_id), consistent=True)
        if not item:
            return None
        return Channel.model_validate(strip_keys(item)), int(item.get("revision", 0))

    def _commit_guarded(self, tx: Transaction, guarded: list[tuple[int, str]]) -> None:
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            for index, kind in guarded:
                if conflict.failed_at(index):
                    raise ChannelTaken(kind) from conflict
            raise
        finally:
            self._cache.clear()

    @staticmethod
    def _registry(channel: Channel, kind: str) -> dict[str, str]:
        """The template sync's walk over every WhatsApp channel (GSI1), on the channel's own route item."""
        if kind == "channel" and channel.kind == "whatsapp":
            return {keys.GSI1_PK: keys.WHATSAPP_CHANNELS_INDEX,
                    keys.GSI1_SK: f"{channel.tenant_id}#{channel.channel_id}"}
        return {}


def channel_secrets(channel: Channel) -> dict[str, Any]:
    """The channel's credentials from Secrets Manager, cached by Powertools Parameters for 5 minutes (imported
    by the first read: storing a text message needs no secret), and
    fetched again at once when the channel says they changed (``secrets_version``, raised by a PATCH)."""
    with _SECRETS_LOCK:
        seen = _SECRET_VERSIONS.get(channel.secret_name)
        fresh = seen is not None and seen != channel.secrets_version
        value: Any = _secrets_provider().get(channel.secret_name, transform="json", max_age=300, force_fetch=fresh)
        _SECRET_VERSIONS[channel.secret_name] = channel.secrets_version
    return value if isinstance(value, dict) else {}


def whatsapp_secrets(channel: Channel) -> WhatsAppSecrets:
    """The WhatsApp channel's access token, app secret and verify token."""
    return WhatsAppSecrets.model_validate(channel_secrets(channel))


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
