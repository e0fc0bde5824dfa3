"""Counting what the code asks of AWS, by botocore's event hooks on the clients it uses.

Every call is recorded (service, operation, entries sent); DynamoDB calls also get the read and write
request units DynamoDB would bill for them, computed from the items' sizes by DynamoDB's published
rules, because moto's ConsumedCapacity figures are placeholders. Sizes of updated items are read back
after the call through a separate client that is not metered.

The rules (DynamoDB developer guide, "Read/write capacity mode" and "Item sizes"):
- an item's size is the sum of its attribute names and values; strings count their UTF-8 bytes, numbers
  about one byte per two significant digits plus one, lists and maps 3 bytes plus 1 byte per element;
- a read is 1 unit per 4 KB (strongly consistent) or half that (eventually consistent); BatchGetItem
  charges each key on its own, a missing item costing the minimum; a Query rounds the sum of the items
  it returns up to 4 KB;
- a write is 1 unit per 1 KB of the larger of the item before and after it (an update, or a put that
  replaces an item); a delete, and a transaction's condition check, per 1 KB of the item it reads;
  transactions cost twice as much, reads and writes, for the items themselves;
- each global secondary index whose entry for the item changes costs writes of the entry's size (the
  whole item when the index projects everything, the keys when it projects keys only): one when the item
  enters or leaves the index or a projected attribute changes, two when the index key moves (a delete and
  a put), none when the write changes nothing the index stores ("Provisioned throughput considerations for
  global secondary indexes"); not doubled by a transaction (INDEX_WRITES_DOUBLED_IN_TRANSACTIONS below).
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

READ_BLOCK = 4096
WRITE_BLOCK = 1024
# A transaction doubles the writes of its items (a prepare and a commit); the writes it causes in global
# secondary indexes are billed as they are outside one. AWS documents the first ("two underlying reads or
# writes of every item in the transaction") and not the second; the second is what DynamoDB's
# ConsumedCapacity reports per index, as characterised against DynamoDB by the dynoxide emulator
# (nubo-db/dynoxide#188: "the transactional 2x factor applies to the base table arm alone").
INDEX_WRITES_DOUBLED_IN_TRANSACTIONS = False


# --- item sizes, on DynamoDB's wire format ({"S": "..."}, {"N": "12"}, {"M": {...}}, ...) -------------

def _number_size(text: str) -> int:
    mantissa = text.lower().split("e")[0].lstrip("+-").replace(".", "")
    digits = mantissa.strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner) * 3 // 4 if isinstance(inner, str) else len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(_number_size(n) for n in inner)
    if kind == "BS":
        return sum(len(b) * 3 // 4 if isinstance(b, str) else len(b) for b in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: Mapping[str, Mapping[str, Any]] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def read_units(size: int, consistent: bool, transactional: bool = False) -> float:
    blocks = max(1, math.ceil(size / READ_BLOCK))
    units = blocks * (1.0 if consistent else 0.5)
    return units * (2 if transactional else 1)


def write_units(size: int, transactional: bool = False) -> float:
    return max(1, math.ceil(size / WRITE_BLOCK)) * (2.0 if transactional else 1.0)


def indexes_holding(item: Mapping[str, Any] | None, indexes: tuple[str, ...]) -> list[str]:
    """The global secondary indexes (``gsiN`` keyed by ``gsiNpk``/``gsiNsk``) an item appears in."""
    if not item:
        return []
    return [index for index in indexes if f"{index}pk" in item and f"{index}sk" in item]


def index_entry(item: Mapping[str, Any] | None, index: str, keys_only: bool) -> dict[str, Any]:
    """What the index stores of the item: everything (projection ALL), or the table's and the index's keys
    (KEYS_ONLY)."""
    if not item:
        return {}
    if not keys_only:
        return dict(item)
    return {name: value for name, value in item.items() if name in ("pk", "sk", f"{index}pk", f"{index}sk")}


def index_write_units(item: Mapping[str, Any] | None, indexes: tuple[str, ...], touched: str,
                      transactional: bool = False, before: Mapping[str, Any] | None = None,
                      keys_only: tuple[str, ...] | frozenset[str] = ()) -> float:
    """Extra writes for the indexes that hold the item before or after a write, each of the size of the
    index entry. ``before``: the item before the write ({} when there was none; None when unknown). With
    ``before`` known, an index is written only when what it stores changes: one write when the item enters
    or leaves it or a projected attribute changes, two (a delete and a put) when its key moves; a write that
    changes nothing the index stores costs it nothing. With ``before`` unknown, ``touched`` (the update
    expression and its attribute names) tells whether an index key moved. Index writes are not doubled by
    a transaction (INDEX_WRITES_DOUBLED_IN_TRANSACTIONS)."""
    units = 0.0
    held_before = set(indexes_holding(before, indexes)) if before is not None else None
    factor = transactional and INDEX_WRITES_DOUBLED_IN_TRANSACTIONS
    for index in indexes:
        only_keys = index in keys_only
        after = index in indexes_holding(item, indexes)
        was = after if held_before is None else index in held_before
        if not (after or was):
            continue
        old, new = index_entry(before, index, only_keys), index_entry(item, index, only_keys)
        size = max(item_size(old), item_size(new))
        if held_before is None:
            key_changed = f"{index}pk" in touched or f"{index}sk" in touched
            writes = 2 if key_changed else (0 if only_keys else 1)
        elif after and was:
            moved = any(old.get(k) != new.get(k) for k in (f"{index}pk", f"{index}sk"))
            writes = 2 if moved else (0 if old == new else 1)
        else:
            writes = 1
        units += write_units(size, factor) * writes
    return units


# --- the hooks --------------------------------------------------------------------------------------

@dataclass
class Call:
    service: str
    operation: str
    entries: int = 1
    payload_bytes: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    seconds: float = 0.0  # from the request leaving botocore to its parsed answer: time spent in "AWS"
    writes: list[Write] = field(default_factory=list)  # DynamoDB: what each item written was billed


@dataclass(frozen=True)
class Write:
    """One item's share of a DynamoDB write: the item (by its sort key's kind), how it was written, its
    billed size (the larger of before and after), its own units and its indexes' units."""

    item: str
    action: str
    size: int
    units: float
    index_units: float


def item_kind(key: Mapping[str, Any] | None) -> str:
    """A readable name for an item of the data table: its sort key up to the first ``#`` (``M`` for a
    message, ``SESSION``, ``PTR``, ``PID``, ``PROFILE``, ``ID``...)."""
    sort_key = ((key or {}).get("sk") or {}).get("S", "")
    kind = sort_key.split("#", 1)[0]
    if not (kind.isalpha() and kind.isupper()):  # a number or an id (the event log, its claims): the partition's
        return ((key or {}).get("pk") or {}).get("S", "").rsplit("#", 1)[-1] or "?"
    return kind


@dataclass(eq=False)  # compared by identity: botocore skips a hook equal to one already registered
class Meter:
    """Attach to clients; ``active`` turns recording on and off; ``calls`` is what was recorded."""

    inspect: Any = None  # a DynamoDB client that is not metered, to read back updated items
    indexes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table name -> its GSIs
    keys_only: frozenset[str] = frozenset()  # the GSIs (by name) that project keys only; the others all
    active: bool = True
    capacity_units: bool = True  # off: count and time calls only (no read-backs, for timed runs)
    calls: list[Call] = field(default_factory=list)
    _attached: set[int] = field(default_factory=set)

    def attach(self, client: Any) -> Any:
        if id(client) in self._attached:
            return client
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register_first(f"before-call.{service}", self._before)
        client.meta.events.register_first(f"after-call.{service}", self._after)
        self._attached.add(id(client))
        return client

    def reset(self) -> None:
        self.calls.clear()

    def count(self, service: str | None = None, operation: str | None = None) -> int:
        return sum(1 for c in self.calls if (service is None or c.service == service)
                   and (operation is None or c.operation == operation))

    def operations(self, service: str) -> dict[str, int]:
        return dict(Counter(c.operation for c in self.calls if c.service == service))

    def total(self, attribute: str, service: str | None = None) -> float:
        return sum(getattr(c, attribute) for c in self.calls if service is None or c.service == service)

    # botocore calls these with keyword arguments; the request context is shared by every hook of the
    # call, so each meter keeps its notes under its own key
    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if not self.active:
            return
        body = params.get("body") or b""
        try:
            request = json.loads(body) if body else {}
        except ValueError:
            request = {}
        before = self._items_before(model.name, request) if self.capacity_units else {}
        context[f"bench-meter-{id(self)}"] = (request, len(body), time.perf_counter(), before)

    def _after(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        noted = context.pop(f"bench-meter-{id(self)}", None)
        if not self.active or noted is None:
            return
        request, size, started, self._before_items = noted
        service = model.service_model.service_id.hyphenize()
        call = Call(service, model.name, payload_bytes=size, seconds=time.perf_counter() - started)
        entries = request.get("Entries")
        if isinstance(entries, list):
            call.entries = len(entries)
        if service != "dynamodb" or not self.capacity_units:
            pass
        elif "Error" not in parsed:
            self._writes = call.writes
            call.read_units, call.write_units = self.capacity(model.name, request, parsed)
        else:
            call.read_units, call.write_units = self.failed_capacity(model.name, request)
        self._writes = []
        self.calls.append(call)

    # DynamoDB's bill for one call
    def capacity(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> tuple[float, float]:
        table = request.get("TableName", "")
        consistent = bool(request.get("ConsistentRead"))
        if operation == "GetItem":
            return read_units(item_size(response.get("Item")), consistent), 0.0
        if operation == "BatchGetItem":
            units = 0.0
            for name, wanted in request.get("RequestItems", {}).items():
                found = response.get("Responses", {}).get(name, [])
                strong = bool(wanted.get("ConsistentRead"))
                units += sum(read_units(item_size(item), strong) for item in found)
                units += read_units(0, strong) * max(0, len(wanted.get("Keys", [])) - len(found))
            return units, 0.0
        if operation in ("Query", "Scan"):
            size = sum(item_size(item) for item in response.get("Items", []))
            return read_units(size, consistent), 0.0
        if operation == "PutItem":
            return 0.0, self._put_units(table, request.get("Item"), transactional=False)
        if operation == "UpdateItem":
            return 0.0, self._update_units(table, request, transactional=False)
        if operation == "DeleteItem":
            return 0.0, self._removal_units(table, request.get("Key"), "Delete", transactional=False)
        if operation == "TransactWriteItems":
            units = 0.0
            for entry in request.get("TransactItems", []):
                (kind, body), = entry.items()
                name = body.get("TableName", "")
                if kind == "Put":
                    units += self._put_units(name, body.get("Item"), transactional=True)
                elif kind == "Update":
                    units += self._update_units(name, body, transactional=True)
                else:  # Delete, ConditionCheck: billed on the item they read
                    units += self._removal_units(name, body.get("Key"), kind, transactional=True)
            return 0.0, units
        if operation == "TransactGetItems":
            return sum(read_units(item_size(r.get("Item")), True, True)
                       for r in response.get("Responses", [])), 0.0
        if operation == "BatchWriteItem":
            units = 0.0
            for name, writes in request.get("RequestItems", {}).items():
                for write in writes:
                    item = write.get("PutRequest", {}).get("Item")
                    units += self._note(_key_of(item), "BatchPut", item_size(item), write_units(item_size(item)),
                                        index_write_units(item, self.indexes.get(name, ()), "",
                                                          keys_only=self.keys_only))
            return 0.0, units
        return 0.0, 0.0

    def failed_capacity(self, operation: str, request: dict[str, Any]) -> tuple[float, float]:
        """A refused conditional write still consumes the write; a cancelled transaction its writes."""
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            return 0.0, write_units(item_size(request.get("Item")))
        if operation == "TransactWriteItems":
            return 0.0, sum(write_units(0, True) for _ in request.get("TransactItems", []))
        return 0.0, 0.0

    def _items_before(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """The items an update or a put will change, as they are before the call (read back through the
        unmetered client): DynamoDB bills the larger of the item before and after."""
        if self.inspect is None:
            return {}
        wanted = []
        if operation in ("UpdateItem", "PutItem", "DeleteItem"):
            wanted.append((request.get("TableName", ""), request.get("Key") or _key_of(request.get("Item"))))
        elif operation == "TransactWriteItems":
            for entry in request.get("TransactItems", []):
                (kind, body), = entry.items()
                wanted.append((body.get("TableName", ""), body.get("Key") or _key_of(body.get("Item"))))
        found = {}
        for table, key in wanted:
            if key:
                found[_key_text(table, key)] = self.inspect.get_item(  # {}: there was none
                    TableName=table, Key=key, ConsistentRead=True).get("Item") or {}
        return found

    def _item_before(self, table: str, key: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        return (getattr(self, "_before_items", None) or {}).get(_key_text(table, key)) if key else None

    def _update_units(self, table: str, body: dict[str, Any], transactional: bool) -> float:
        item = None
        if self.inspect is not None:
            item = self.inspect.get_item(TableName=table, Key=body["Key"], ConsistentRead=True).get("Item")
        before = self._item_before(table, body["Key"])
        touched = body.get("UpdateExpression", "") + " " + " ".join(
            (body.get("ExpressionAttributeNames") or {}).values())
        size = max(item_size(item), item_size(before))
        return self._note(body["Key"], "Update", size, write_units(size, transactional), index_write_units(
            item, self.indexes.get(table, ()), touched, transactional, before, self.keys_only))

    def _removal_units(self, table: str, key: Mapping[str, Any] | None, action: str, transactional: bool) -> float:
        """A delete or a transaction's condition check: billed on the size of the item it reads (a missing
        item, the minimum); a delete also takes the item out of its indexes."""
        before = self._item_before(table, key)
        size = item_size(before)
        indexes = 0.0
        if action == "Delete" and before:
            indexes = index_write_units({}, self.indexes.get(table, ()), "", transactional, before, self.keys_only)
        return self._note(key, action, size, write_units(size, transactional), indexes)

    def _note(self, key: Mapping[str, Any] | None, action: str, size: int, units: float, index_units: float) -> float:
        """Record one item's share of the call (``Call.writes``); returns its units, indexes included."""
        writes = getattr(self, "_writes", None)
        if writes is not None:
            writes.append(Write(item_kind(key), action, size, units, index_units))
        return units + index_units

    def _put_units(self, table: str, item: Mapping[str, Any] | None, transactional: bool) -> float:
        """A put: the larger of the new item and the one it replaces; the indexes of both."""
        before = self._item_before(table, _key_of(item))
        size = max(item_size(item), item_size(before))
        return self._note(_key_of(item), "Put", size, write_units(size, transactional), index_write_units(
            item, self.indexes.get(table, ()), "", transactional, before, self.keys_only))


def _key_of(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not item or "pk" not in item:
        return None
    return {name: item[name] for name in ("pk", "sk") if name in item}


def _key_text(table: str, key: Mapping[str, Any] | None) -> str:
    return table + "|" + json.dumps(key, sort_keys=True, default=str)
