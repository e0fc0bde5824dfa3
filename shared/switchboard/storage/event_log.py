"""The tenant's event log (docs/realtime.md): every domain event gets the tenant's next number from an
atomic counter and is kept for two days (TTL) so ``GET /events?after=`` can give a frontend what it missed while disconnected."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from switchboard import clock
from switchboard.storage import keys
from switchboard.storage.dynamo import Table, plain

# At least the 24 hours a frontend may catch up on; DynamoDB's TTL deletes a little later still.
KEPT_FOR = timedelta(hours=48)


@dataclass(frozen=True)
class LoggedEvent:
    tenant_id: str
    seq: int
    type: str
    at: str
    entity_kind: str | None
    entity_id: str | None
    version: int | None
    detail: dict[str, Any]

    def view(self) -> dict[str, Any]:
        """What a frontend receives, pushed or caught up: the same document both ways."""
        entity = {"kind": self.entity_kind, "id": self.entity_id} if self.entity_kind else None
        return {"seq": self.seq, "type": self.type, "occurred_at": self.at, "entity": entity, "version": self.version,
                "data": self.detail}

    @classmethod
    def of_item(cls, item: dict[str, Any]) -> LoggedEvent:
        item = plain(item)
        return cls(tenant_id=item["tenant_id"], seq=item["seq"], type=item["type"], at=item["at"],
                   entity_kind=item.get("entity_kind"), entity_id=item.get("entity_id"),
                   version=item.get("version"), detail=json.loads(item.get("detail") or "{}"))


class EventLog:
    def __init__(self, table: Table) -> None:
        self.table = table

    def allocate(self, tenant_id: str, count: int) -> int:
        """Reserve ``count`` consecutive numbers of the tenant's sequence; returns the first. One atomic
        ``ADD`` (concurrent writers each get their own range, none shared)."""
        attributes = self.table.update(keys.event_sequence(tenant_id), "ADD last_seq :n", {":n": count},
                                       return_values="UPDATED_NEW")
        return int(attributes["last_seq"]) - count + 1

    def append(self, events: list[LoggedEvent]) -> None:
        expires = int((clock.now() + KEPT_FOR).timestamp())
        self.table.write_batch(puts=[{
            **keys.event(e.tenant_id, e.seq), "tenant_id": e.tenant_id, "seq": e.seq, "type": e.type, "at": e.at,
            **({"entity_kind": e.entity_kind, "entity_id": e.entity_id} if e.entity_kind else {}),
            **({"version": e.version} if e.version is not None else {}),
            "detail": json.dumps(e.detail, default=str, separators=(",", ":")), keys.TTL_ATTRIBUTE: expires,
        } for e in events])

    def get(self, tenant_id: str, seq: int) -> LoggedEvent | None:
        item = self.table.get(keys.event(tenant_id, seq), consistent=True)
        return LoggedEvent.of_item(item) if item else None

    def after(self, tenant_id: str, after_seq: int, limit: int) -> tuple[list[LoggedEvent], bool]:
        """Events numbered above ``after_seq``, in order (one partition read); and whether more follow."""
        response = self.table.query(
            KeyConditionExpression="pk = :pk AND sk > :after", ConsistentRead=True, Limit=limit,
            ExpressionAttributeValues={":pk": keys.events_partition(tenant_id),
                                       ":after": keys.seq_sort_key(max(after_seq, 0))})
        return [LoggedEvent.of_item(i) for i in response["Items"]], bool(response.get("LastEvaluatedKey"))
