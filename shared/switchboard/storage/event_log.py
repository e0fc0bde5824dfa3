"""The tenant's event log (docs/realtime.md): the fan-out gives every domain event the tenant's next number from
an atomic counter and keeps it for two days (TTL), so ``GET /events?after=`` can give a frontend what it missed
while disconnected. The numbering happens off the write path: the unit of work that changed something only puts
its events on the bus.

An event is numbered once however often the bus hands it over: its bus id is claimed with the number it got
(a conditional put); a redelivery finds the claim and reuses that number (the number it drew itself is a gap)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from switchboard import clock
from switchboard.storage import keys
from boto3.dynamodb.types import TypeDeserializer

from switchboard.storage.dynamo import ConditionFailed, Table, plain

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

    def allocate(self, tenant_id: str, count: int = 1) -> int:
        """Reserve ``count`` consecutive numbers of the tenant's sequence; returns the first. One atomic
        ``ADD`` (concurrent writers each get their own range, none shared)."""
        attributes = self.table.update(keys.event_sequence(tenant_id), "ADD last_seq :n", {":n": count},
                                       return_values="UPDATED_NEW")
        return int(attributes["last_seq"]) - count + 1

    def record(self, event_id: str, event: LoggedEvent) -> LoggedEvent:
        """Log the bus event ``event_id`` under ``event.seq`` (a freshly allocated number), or, when the bus
        delivered it before, the event as it was logged then. Three requests: the ``ADD`` before, the claim,
        the log item; a redelivery reads its claim from the refused put, not from another request."""
        expires = int((clock.now() + KEPT_FOR).timestamp())
        try:
            self.table.put({**keys.event_claim(event.tenant_id, event_id), "seq": event.seq,
                            keys.TTL_ATTRIBUTE: expires},
                           condition="attribute_not_exists(pk)", ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except ConditionFailed as refused:
            claimed = _old_item(refused.response)
            if claimed is not None:
                event = replace(event, seq=int(claimed["seq"]))
        self.table.put(_item(event, expires))  # the same item again on a redelivery: idempotent
        return event

    def after(self, tenant_id: str, after_seq: int, limit: int) -> tuple[list[LoggedEvent], bool]:
        """Events numbered above ``after_seq``, in order (one partition read); and whether more follow."""
        response = self.table.query(
            KeyConditionExpression="pk = :pk AND sk > :after", ConsistentRead=True, Limit=limit,
            ExpressionAttributeValues={":pk": keys.events_partition(tenant_id),
                                       ":after": keys.seq_sort_key(max(after_seq, 0))})
        return [LoggedEvent.of_item(i) for i in response["Items"]], bool(response.get("LastEvaluatedKey"))


def _item(event: LoggedEvent, expires: int) -> dict[str, Any]:
    return {
        **keys.event(event.tenant_id, event.seq), "tenant_id": event.tenant_id, "seq": event.seq, "type": event.type,
        "at": event.at, **({"entity_kind": event.entity_kind, "entity_id": event.entity_id} if event.entity_kind else {}),
        **({"version": event.version} if event.version is not None else {}),
        "detail": json.dumps(event.detail, default=str, separators=(",", ":")), keys.TTL_ATTRIBUTE: expires,
    }


def _old_item(response: dict[str, Any]) -> dict[str, Any] | None:
    """The item a refused conditional put found (``ReturnValuesOnConditionCheckFailure``), in plain values."""
    old = response.get("Item")
    if not old:
        return None
    deserialize = TypeDeserializer().deserialize
    return {name: plain(deserialize(value)) if isinstance(value, dict) else value for name, value in old.items()}
