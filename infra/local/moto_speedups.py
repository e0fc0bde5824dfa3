"""moto, made to cost what AWS charges for: each request's work proportional to what it touches.

moto models the services' behaviour faithfully enough for our tests, but some of its bookkeeping grows
with the size of a table or a queue, which AWS's does not. A 10,000-recipient campaign makes a table of
tens of thousands of items and queues of thousands of records, and there these costs swamp everything
else (milliseconds per request become hundreds). Each patch below keeps moto's answers exactly as they
were and changes only how much work it does to reach them; tests/integration/test_moto_speedups.py
checks the answers a DynamoDB or SQS user relies on (they pass on unpatched moto too).

DynamoDB
* A query of the table reads the one partition it names (moto sorted every item of the table first);
  a query of an index filters the table's items without sorting them all first (the matches are sorted).
* The answers of the data-plane operations (items, keys, counts) are written out with ``json.dumps``:
  they are already in DynamoDB's wire format, and moto's generic serializer walked the ten members of
  every attribute value's shape (14 ms for ten items).
* An update expression is parsed once per distinct text, and a condition expression lexed once (moto
  parsed every update expression twice per request and the parse was half an UpdateItem's time). The
  parsed tree is only read (moto's validator works on its own copy, which is unpickled from the
  remembered tree's pickle rather than deep-copied), the lexed tokens are immutable.
* TransactWriteItems backs up the items it touches, not every table it touches (moto deep-copied each
  table once per item of the transaction: a 100-item transaction on a 30,000-item table copied three
  million items).

SQS
* The approximate message counters (which count every message of the queue) are computed at most once
  per request, all three in one pass: moto read them several times for every message sent or received,
  through the queue's attribute dictionary, although what it wanted from it was a setting such as the
  retention period, and each pass asked the clock once per message.
* A received message's retention is checked against the queue's setting directly (moto rebuilt the
  queue's whole attribute dictionary for every message it returned).
* A FIFO message whose deduplication id the queue has never seen is added without comparing it with
  every message in the queue (moto's check is kept, unchanged, for an id seen before); a message is
  deleted by its receipt handle without scanning every message's handles twice. Both were linear in the
  queue's depth per message, so a backlog of 20,000 status webhooks took quadratic time.

Requests are applied one at a time (aws_server.REQUEST_LOCK), which the backups and the per-request
counter cache rely on; ``begin_request`` marks each one.
"""

from __future__ import annotations

import base64
import copy
import json
import pickle
from collections import deque
from datetime import datetime
from typing import Any

_generation = 0  # bumped for each AWS request (under the request lock)
_applied = False


def begin_request() -> None:
    global _generation
    _generation += 1


def apply() -> None:
    """Patch moto's classes (once per process)."""
    global _applied
    if _applied:
        return
    _applied = True
    _dynamodb_transactions_back_up_items()
    _dynamodb_queries_read_their_partition()
    _dynamodb_answers_as_json()
    _dynamodb_expressions_parsed_once()
    _sqs_counters_once_per_request()
    _sqs_retention_without_recount()
    _sqs_fifo_deduplication_indexed()
    _sqs_delete_by_receipt_handle()


# -- DynamoDB ---------------------------------------------------------------------------------------------
def _dynamodb_transactions_back_up_items() -> None:
    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType

    original = DynamoDBBackend.transact_write_items
    table_class = dynamodb_models.Table

    class _NoTableCopies:
        """moto's module-level ``copy``, except that a whole table is not copied (we back up items)."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, table_class) else copy.deepcopy(value, memo)

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for entry in transact_items:
            operation = next(iter(entry.values()))
            table = self.tables.get(operation.get("TableName"))
            source = operation.get("Item") or operation.get("Key") or {}
            if table is None or table.hash_key_attr not in source or (
                    table.range_key_attr and table.range_key_attr not in source):
                continue  # moto refuses it itself
            hash_value = DynamoType(source[table.hash_key_attr])
            range_value = DynamoType(source[table.range_key_attr]) if table.range_key_attr else None
            saved.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(saved):
                if range_value is None:
                    if item is None:
                        table.items.pop(hash_value, None)
                    else:
                        table.items[hash_value] = item
                elif item is None:
                    table.items[hash_value].pop(range_value, None)
                else:
                    table.items[hash_value][range_value] = item
            raise

    dynamodb_models.copy = _NoTableCopies  # type: ignore[assignment]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _dynamodb_queries_read_their_partition() -> None:
    """``Table.query`` asks ``all_items()`` for candidates: every item of the table, sorted. For a query of
    the table, the candidates are the named partition's items (the query keeps those whose hash key matches
    and sorts them by range key itself); for an index query, the unsorted items (it sorts its matches)."""
    from moto.dynamodb.models.table import Table

    original_query = Table.query
    original_all_items = Table.all_items

    def query(self: Table, hash_key: Any, range_comparison: Any, range_objs: Any, limit: Any,
              exclusive_start_key: Any, scan_index_forward: Any, projection_expressions: Any,
              index_name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        self._speedup_query = ("index", None) if index_name else ("table", hash_key)
        try:
            return original_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                                  scan_index_forward, projection_expressions, index_name, *args, **kwargs)
        finally:
            self._speedup_query = None

    def all_items(self: Table) -> list[Any]:
        scope = getattr(self, "_speedup_query", None)
        if scope is None:
            return original_all_items(self)
        kind, hash_key = scope
        if kind == "table" and self.range_key_attr:
            return list(self.items.get(hash_key, {}).values())
        if kind == "table":
            item = self.items.get(hash_key)
            return [item] if item is not None else []
        if self.range_key_attr:
            return [item for partition in self.items.values() for item in partition.values()]
        return list(self.items.values())

    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]


def _plain(value: Any) -> Any:
    """The JSON protocol's form of a moto result: bytes in base64, datetimes as epoch seconds, no nulls
    (as moto's serializer writes them)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    return value


def _dynamodb_answers_as_json() -> None:
    from moto.dynamodb.responses import DynamoResult

    def execute_result(self: DynamoResult, context: Any) -> tuple[int, dict[str, str], str]:
        if context.operation_model.name not in _DATA_PLANE:
            return original(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(_plain(self.result))

    original = DynamoResult.execute_result
    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]


_DATA_PLANE = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem",
                         "TransactGetItems"})


def _dynamodb_expressions_parsed_once() -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    parse_update = UpdateExpressionParser.make.__func__  # type: ignore[attr-defined]
    lex_condition = ConditionExpressionParser._lex_condition_expression
    updates: dict[str, Any] = {}  # remembered trees are never dropped, so their ids stay theirs
    pickled: dict[int, bytes] = {}
    conditions: dict[str, tuple[Any, ...]] = {}

    def make(cls: type, expression: str) -> Any:
        parsed = updates.get(expression)
        if parsed is None:
            parsed = parse_update(cls, expression)  # errors are raised, and not remembered
            if len(updates) < _EXPRESSIONS_REMEMBERED:
                updates[expression] = parsed
                pickled[id(parsed)] = pickle.dumps(parsed)
        return parsed

    def copy_tree(value: Any, memo: Any = None) -> Any:
        """The validator's own copy of a remembered tree: unpickled (five times faster than deepcopy)."""
        blob = pickled.get(id(value))
        return pickle.loads(blob) if blob is not None else copy.deepcopy(value, memo)  # noqa: S301

    def lex(self: ConditionExpressionParser) -> Any:
        text = self.condition_expression
        nodes = conditions.get(text)
        if nodes is None:
            nodes = tuple(lex_condition(self))
            if len(conditions) < _EXPRESSIONS_REMEMBERED:
                conditions[text] = nodes
        return deque(nodes)

    UpdateExpressionParser.make = classmethod(make)  # type: ignore[assignment]
    validators.deepcopy = copy_tree  # type: ignore[attr-defined]
    ConditionExpressionParser._lex_condition_expression = lex  # type: ignore[method-assign]


_EXPRESSIONS_REMEMBERED = 4096  # distinct expression texts (ours are a few dozen)


# -- SQS --------------------------------------------------------------------------------------------------
def _sqs_counters_once_per_request() -> None:
    from moto.core.utils import unix_time_millis
    from moto.sqs.models import Queue

    def counts(self: Queue) -> tuple[int, int, int]:
        """(visible, not visible, delayed), as moto defines them, in one pass at one moment."""
        cached = self.__dict__.get("_speedup_counts")
        if cached is not None and cached[0] == _generation:
            return cached[1]  # type: ignore[no-any-return]
        now = unix_time_millis()
        visible = not_visible = delayed = 0
        for message in self._messages:
            is_delayed = now < message.delayed_until
            delayed += is_delayed
            if now <= message.visible_at:
                not_visible += 1
            elif not is_delayed:
                visible += 1
        found = (visible, not_visible, delayed)
        self.__dict__["_speedup_counts"] = (_generation, found)
        return found

    def messages(self: Queue) -> list[Any]:
        """The visible, undelayed messages, judged at one moment (moto asked the clock twice per message)."""
        now = unix_time_millis()
        return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]

    Queue.messages = property(messages)  # type: ignore[assignment]
    Queue.approximate_number_of_messages = property(lambda self: counts(self)[0])  # type: ignore[assignment]
    Queue.approximate_number_of_messages_not_visible = property(  # type: ignore[assignment]
        lambda self: counts(self)[1])
    Queue.approximate_number_of_messages_delayed = property(lambda self: counts(self)[2])  # type: ignore[assignment]


def _sqs_retention_without_recount() -> None:
    from moto.core.utils import unix_time
    from moto.sqs.models import SQSBackend

    def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Any) -> bool:
        retention_period = int(self.get_queue(queue_name).message_retention_period)
        return bool(retention_period + message.sent_timestamp / 1000 > unix_time())

    SQSBackend.is_message_valid_based_on_retention_period = (  # type: ignore[method-assign]
        is_message_valid_based_on_retention_period)


def _sqs_fifo_deduplication_indexed() -> None:
    from moto.sqs.models import Queue

    original = Queue.add_message

    def add_message(self: Queue, message: Any) -> None:
        dedup_id = message.deduplication_id
        if not (self.fifo_queue and dedup_id):
            return original(self, message)
        seen = self.__dict__.setdefault("_speedup_deduplication_ids", set())
        if dedup_id in seen or self.lambda_event_source_mappings:
            seen.add(dedup_id)
            return original(self, message)  # moto's own check against the messages in the queue
        seen.add(dedup_id)  # never seen: no message in the queue can carry it
        with self._messages_lock:
            self._messages.append(message)
            self._messages_lock.notify_all()
        return None

    Queue.add_message = add_message  # type: ignore[method-assign]


_RECEIVED: dict[str, Any] = {}  # receipt handle -> the message it was given for


def _sqs_delete_by_receipt_handle() -> None:
    from moto.sqs.models import Message, Queue

    mark_received = Message.mark_received
    original_delete = Queue.delete_message

    def remember(self: Message, *args: Any, **kwargs: Any) -> None:
        mark_received(self, *args, **kwargs)
        _RECEIVED[self.receipt_handle] = self  # type: ignore[index]

    def delete_message(self: Queue, receipt_handle: str) -> None:
        message = _RECEIVED.get(receipt_handle)
        if message is not None and receipt_handle not in self.deleted_messages:
            for position, candidate in enumerate(self._messages):
                if candidate is message:
                    del self._messages[position]
                    self.pending_messages.discard(message)
                    self.deleted_messages.update(message.all_receipt_handles)
                    for handle in message.all_receipt_handles:
                        _RECEIVED.pop(handle, None)
                    return
        original_delete(self, receipt_handle)  # already deleted, another queue's, or unknown: moto decides

    Message.mark_received = remember  # type: ignore[method-assign]
    Queue.delete_message = delete_message  # type: ignore[method-assign]
