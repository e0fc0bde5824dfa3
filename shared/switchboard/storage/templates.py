"""The template store: one item per template of a channel (pk ``T#t#TPL#<channel>``, sk ``<name>#<language>``)
and one sync status item per channel (``T#t#TPLSYNC#<channel>`` / ``SYNC``).

A sync replaces a channel's set as a whole: what Meta listed is written, what it no longer lists is marked
DELETED. Only items that changed are written, each on its own (a set of up to 6,000 templates does not fit
a transaction), conditioned on the ``updated_at`` the sync read, so a webhook that wrote the same template
meanwhile wins (and its own refresh follows).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from switchboard.domain.channels import Channel
from switchboard.errors import InvalidInput
from switchboard.storage import keys
from switchboard.storage.dynamo import Table, is_conditional_failure, plain, strip_keys

# What a sync writes from Meta's answer; a change to any of them is a change to the template.
CONTENT_FIELDS = (
    "template_id",
    "name",
    "language",
    "status",
    "category",
    "sub_category",
    "components",
    "parameter_format",
    "quality_score",
    "rejected_reason",
    "deleted",
)


@dataclass
class SyncWrite:
    """The outcome of writing one fetched set."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: int = 0  # lost a race with a concurrent writer; the next sync picks them up
    status_changes: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class TemplatePage:
    items: list[dict[str, Any]]
    cursor: str | None


class TemplateRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    # --- reads ----------------------------------------------------------------------------------------

    def get(self, tenant_id: str, channel_id: str, name: str, language: str) -> dict[str, Any] | None:
        item = self.table.get(keys.template(tenant_id, channel_id, keys.template_sort_key(name, language)))
        return {**strip_keys(item), "channel_id": channel_id} if item else None

    def all_of_channel(
        self, tenant_id: str, channel_id: str, name: str | None = None
    ) -> list[dict[str, Any]]:
        """Every stored template of a channel (deleted ones too), or those of one name (every language)."""
        partition = keys.templates_partition(tenant_id, channel_id)
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": partition},
            "ConsistentRead": True,
        }
        if name is not None:
            query["KeyConditionExpression"] += " AND begins_with(sk, :name)"
            query["ExpressionAttributeValues"][":name"] = f"{name}#"
        return list(self.table.query_items(**query))

    def list(
        self,
        tenant_id: str,
        channel_ids: list[str],
        cursor: str | None = None,
        limit: int = 50,
        status: str | None = None,
        category: str | None = None,
        language: str | None = None,
        name_contains: str | None = None,
        include_deleted: bool = False,
    ) -> TemplatePage:
        """Templates of the given channels, channel by channel, by name and language; filters apply in the
        query. The cursor carries the channel and the last key read."""
        channel_ids = sorted(channel_ids)
        start_channel, start_key = _decode_cursor(cursor, tenant_id, channel_ids)
        # Items a webhook made for a template it named only by id (sk ``ID#…``) are not listed.
        conditions = ["attribute_exists(#name)", "attribute_exists(#language)"]
        values: dict[str, Any] = {}
        names = {"#name": "name", "#language": "language"}
        for attribute, value in (("status", status), ("category", category), ("language", language)):
            if value is not None:
                conditions.append(f"#{attribute} = :{attribute}")
                values[f":{attribute}"], names[f"#{attribute}"] = value, attribute
        if name_contains:
            conditions.append("contains(#name, :q)")
            values[":q"], names["#name"] = name_contains, "name"
        if not include_deleted and status != "DELETED":
            conditions.append("(attribute_not_exists(deleted) OR deleted = :false) AND #status <> :deleted")
            values[":false"], values[":deleted"], names["#status"] = False, "DELETED", "status"
        items: list[dict[str, Any]] = []
        remaining = limit
        channels = channel_ids[channel_ids.index(start_channel) :] if start_channel else channel_ids
        for position, channel_id in enumerate(channels):
            partition = keys.templates_partition(tenant_id, channel_id)
            query: dict[str, Any] = {
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": partition, **values},
            }
            if names:
                query["ExpressionAttributeNames"] = names
            if conditions:
                query["FilterExpression"] = " AND ".join(conditions)
            if position == 0 and start_key:
                query["ExclusiveStartKey"] = start_key
            while remaining > 0:
                response = self.table.query(Limit=remaining, **query)
                items.extend({**strip_keys(i), "channel_id": channel_id} for i in response["Items"])
                remaining = limit - len(items)
                last = response.get("LastEvaluatedKey")
                if not last:
                    break
                query["ExclusiveStartKey"] = last
                if remaining <= 0:
                    return TemplatePage(items, _encode_cursor(channel_id, last))
            if remaining <= 0:
                following = channels[position + 1 :]
                return TemplatePage(items, _encode_cursor(following[0], None) if following else None)
        return TemplatePage(items, None)

    def whatsapp_channels(self) -> list[Channel]:
        """Every WhatsApp channel of every tenant, for the hourly sync (GSI1 over the channels' routing
        items; a handful per tenant, read once an hour)."""
        query: dict[str, Any] = {
            "IndexName": keys.GSI1,
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": {":pk": keys.WHATSAPP_CHANNELS_INDEX},
        }
        return [Channel.model_validate(strip_keys(i)) for i in self.table.query_items(**query)]

    def sync_status(self, tenant_id: str, channel_id: str) -> dict[str, Any] | None:
        item = self.table.get(keys.template_sync_status(tenant_id, channel_id))
        return strip_keys(item) if item else None

    # --- writes ---------------------------------------------------------------------------------------

    def replace_set(
        self,
        tenant_id: str,
        channel_id: str,
        fetched: list[dict[str, Any]],
        now_iso: str,
        name: str | None = None,
    ) -> SyncWrite:
        """Make the stored set (or one name's templates) what Meta listed: ``fetched`` holds records with
        the CONTENT_FIELDS. Call only with a complete listing: whatever is missing from it is deleted."""
        stored = {
            (i["name"], i["language"]): i
            for i in self.all_of_channel(tenant_id, channel_id, name)
            if i.get("name") is not None and i.get("language") is not None
        }
        outcome = SyncWrite()
        seen: set[tuple[str, str]] = set()
        for record in fetched:
            identity = (record["name"], record["language"])
            if identity not in seen:
                seen.add(identity)
                self._write(tenant_id, channel_id, record, stored.get(identity), now_iso, outcome)
        for identity, previous in stored.items():
            if identity not in seen and not previous.get("deleted"):
                gone = {**{k: previous.get(k) for k in CONTENT_FIELDS}, "status": "DELETED", "deleted": True}
                self._write(tenant_id, channel_id, gone, previous, now_iso, outcome)
        return outcome

    def _write(
        self,
        tenant_id: str,
        channel_id: str,
        record: dict[str, Any],
        previous: dict[str, Any] | None,
        now_iso: str,
        outcome: SyncWrite,
    ) -> None:
        """One template, if it changed: the whole item, conditioned on the version the sync read (what other
        writers added, e.g. a webhook's event times, is carried over)."""
        record = {k: record.get(k) for k in CONTENT_FIELDS}
        record["deleted"] = bool(record.get("deleted"))
        # The history, not the status attribute, says whether the status changed: a webhook may have set the
        # status already (storage/webhook_updates.py) without recording it.
        history = list((previous or {}).get("status_history") or [])
        last_status = history[-1].get("status") if history else (previous or {}).get("status")
        status_changed = not history or history[-1].get("status") != record["status"]
        if (
            previous is not None
            and previous.get("synced_at")
            and not status_changed
            and all(plain(previous.get(k)) == plain(record.get(k)) for k in CONTENT_FIELDS if k != "deleted")
            and bool(previous.get("deleted")) == record["deleted"]
        ):
            outcome.unchanged += 1
            return
        if status_changed:
            history.append({"status": record["status"], "at": now_iso})
        key = keys.template(tenant_id, channel_id, keys.template_sort_key(record["name"], record["language"]))
        item = {
            **(previous or {}),
            **key,
            **{k: v for k, v in record.items() if v is not None},
            "channel_id": channel_id,
            "status_history": history,
            "updated_at": now_iso,
            "synced_at": now_iso,
        }
        for k in CONTENT_FIELDS:
            if record.get(k) is None:
                item.pop(k, None)
        if previous is None:
            condition, values, kind = "attribute_not_exists(pk)", None, "created"
        elif previous.get("updated_at") is None:
            condition, values = "attribute_exists(pk) AND attribute_not_exists(updated_at)", None
            kind = "updated"
        else:
            condition, values = "updated_at = :seen", {":seen": previous["updated_at"]}
            kind = "deleted" if record["deleted"] and not previous.get("deleted") else "updated"
        try:
            if values:
                self.table.put(item, condition, ExpressionAttributeValues=values)
            else:
                self.table.put(item, condition)
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            outcome.skipped += 1  # written meanwhile (a webhook): its own refresh follows, or the next run
            return
        setattr(outcome, kind, getattr(outcome, kind) + 1)
        if status_changed and last_status not in (None, record["status"]):
            outcome.status_changes.append(
                {
                    "name": record["name"],
                    "language": record["language"],
                    "status": record["status"],
                    "previous_status": last_status,
                }
            )

    def record_sync(
        self,
        tenant_id: str,
        channel_id: str,
        now_iso: str,
        ok: bool,
        summary: dict[str, Any],
        error: dict[str, Any] | None = None,
    ) -> None:
        """The channel's last sync: its outcome, counts, and the Graph error if it failed. A failure keeps
        the time of the last success."""
        sets = [
            "channel_id = :channel",
            "#state = :state",
            "last_attempt_at = :now",
            "summary = :summary",
            "#error = :error",
        ]
        values: dict[str, Any] = {
            ":channel": channel_id,
            ":state": "ok" if ok else "failed",
            ":now": now_iso,
            ":summary": summary,
            ":error": error,
        }
        if ok:
            sets.append("last_success_at = :now")
        self.table.update(
            keys.template_sync_status(tenant_id, channel_id),
            "SET " + ", ".join(sets),
            values,
            names={"#state": "state", "#error": "error"},
        )


def _encode_cursor(channel_id: str, last_key: dict[str, Any] | None) -> str:
    payload = {"c": channel_id, "k": plain(last_key) if last_key else None}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def _decode_cursor(
    cursor: str | None, tenant_id: str, channel_ids: list[str]
) -> tuple[str | None, dict[str, Any] | None]:
    if not cursor:
        return None, None
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not one this API issued", field="cursor") from exc
    channel_id = payload.get("c") if isinstance(payload, dict) else None
    key = payload.get("k") if isinstance(payload, dict) else None
    if channel_id not in channel_ids or (
        key is not None
        and (
            not isinstance(key, dict)
            or key.get("pk") != keys.templates_partition(tenant_id, channel_id)
            or not all(isinstance(v, str) for v in key.values())
        )
    ):
        raise InvalidInput("cursor is not one this API issued", field="cursor")
    return channel_id, key
