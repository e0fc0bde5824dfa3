"""A thin wrapper over one DynamoDB table: Python values in and out, transactions, typed conflicts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn

from boto3.dynamodb.table import BatchWriter
from botocore.exceptions import ClientError

from switchboard import aws
from switchboard.errors import ConcurrentUpdate
from switchboard.tracing import span


class ConditionFailed(ClientError):
    """A conditional write's condition did not hold: nothing was written. The areas catch this, never
    botocore's ClientError (it stays one, so storage code that reads the error code still works)."""


class StorageUnavailable(Exception):
    """DynamoDB or S3 refused a request for another reason than a condition (throttling, an outage)."""


def _raise_typed(exc: ClientError) -> NoReturn:
    """Re-raise a write's error: ConditionFailed for a failed condition, the error itself otherwise."""
    if is_conditional_failure(exc):
        raise ConditionFailed(exc.response, exc.operation_name) from exc
    raise exc


class TransactionConflict(ConcurrentUpdate):
    """A transaction was cancelled; ``reasons`` holds one code per item ("None" where it passed)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("transaction cancelled: " + ",".join(reasons))
        self.reasons = reasons

    def failed_at(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


@dataclass
class Transaction:
    """Collects the writes of one unit of work; ``Table.commit`` applies them atomically."""

    items: list[dict[str, Any]] = field(default_factory=list)

    def put(self, item: dict[str, Any], condition: str | None = None, values: dict | None = None,
            names: dict | None = None) -> int:
        return self._add("Put", {"Item": item}, condition, values, names)

    def create(self, item: dict[str, Any]) -> int:
        """Put an item that must not exist yet (a second writer of the same key cancels the transaction)."""
        return self.put(item, condition="attribute_not_exists(pk)")

    def update(self, key: dict[str, str], expression: str, values: dict | None = None,
               names: dict | None = None, condition: str | None = None) -> int:
        return self._add("Update", {"Key": key, "UpdateExpression": expression}, condition, values, names)

    def check(self, key: dict[str, str], condition: str, values: dict | None = None,
              names: dict | None = None) -> int:
        return self._add("ConditionCheck", {"Key": key}, condition, values, names)

    def delete(self, key: dict[str, str], condition: str | None = None, values: dict | None = None,
               names: dict | None = None) -> int:
        return self._add("Delete", {"Key": key}, condition, values, names)

    def _add(self, kind: str, body: dict, condition: str | None, values: dict | None,
             names: dict | None) -> int:
        if condition:
            body["ConditionExpression"] = condition
        if values:
            body["ExpressionAttributeValues"] = values
        if names:
            body["ExpressionAttributeNames"] = names
        self.items.append({kind: body})
        return len(self.items) - 1


class Table:
    def __init__(self, name: str) -> None:
        self.name = name
        # Plain Python values in and out, for every operation, transactions too (switchboard.aws.dynamodb).
        self._client = aws.dynamodb()

    def get(self, key: dict[str, str], consistent: bool = False) -> dict[str, Any] | None:
        return self._client.get_item(TableName=self.name, Key=key, ConsistentRead=consistent).get("Item")

    def get_many(self, keys: Sequence[dict[str, str]], consistent: bool = False) -> list[dict[str, Any]]:
        """One BatchGetItem round trip (up to 100 keys); unprocessed keys are fetched again."""
        unique = list({(k["pk"], k["sk"]): k for k in keys}.values())
        request = {self.name: {"Keys": unique, "ConsistentRead": consistent}}
        found: list[dict[str, Any]] = []
        while request:
            response = self._client.batch_get_item(RequestItems=request)
            found.extend(response["Responses"].get(self.name, []))
            request = response.get("UnprocessedKeys") or {}
        return found

    def put(self, item: dict[str, Any], condition: str | None = None, **kwargs: Any) -> None:
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            self._client.put_item(TableName=self.name, Item=item, **kwargs)
        except ClientError as exc:
            _raise_typed(exc)

    def update(self, key: dict[str, str], expression: str, values: dict | None = None,
               names: dict | None = None, condition: str | None = None,
               return_values: str = "NONE") -> dict[str, Any]:
        kwargs: dict[str, Any] = {"Key": key, "UpdateExpression": expression, "ReturnValues": return_values}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            return self._client.update_item(TableName=self.name, **kwargs).get("Attributes", {})
        except ClientError as exc:
            _raise_typed(exc)

    def delete(self, key: dict[str, str], condition: str | None = None, values: dict | None = None) -> None:
        kwargs: dict[str, Any] = {"ConditionExpression": condition} if condition else {}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        try:
            self._client.delete_item(TableName=self.name, Key=key, **kwargs)
        except ClientError as exc:
            _raise_typed(exc)

    def write_batch(self, puts: Iterable[dict[str, Any]] = (), deletes: Iterable[dict[str, str]] = ()) -> None:
        """BatchWriteItem in chunks of 25, unprocessed items resent; idempotent puts and deletes only."""
        with BatchWriter(self.name, self._client, overwrite_by_pkeys=["pk", "sk"]) as batch:
            for item in puts:
                batch.put_item(Item=item)
            for key in deletes:
                batch.delete_item(Key=key)

    def query(self, **kwargs: Any) -> dict[str, Any]:
        return self._client.query(TableName=self.name, **kwargs)

    def query_items(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item a query matches, page after page (read lazily: stop early, read less)."""
        while True:
            response = self._client.query(TableName=self.name, **kwargs)
            yield from response["Items"]
            if not response.get("LastEvaluatedKey"):
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def commit(self, transaction: Transaction) -> None:
        for item in transaction.items:
            next(iter(item.values()))["TableName"] = self.name
        try:
            with span("dynamodb.transact_write_items", items=len(transaction.items)):
                self._client.transact_write_items(TransactItems=transaction.items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            raise TransactionConflict(reasons) from exc


def committed_unless_refused(table: Table, transaction: Transaction, guard: int | None = 0) -> bool:
    """Commit; False (nothing written) when the item at ``guard`` failed its condition (any other
    cancellation is raised), or, with ``guard`` None, when the transaction was cancelled at all."""
    try:
        table.commit(transaction)
    except TransactionConflict as conflict:
        if guard is None or conflict.failed_at(guard):
            return False
        raise
    return True


def is_conditional_failure(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


def plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; turn them into int/float for JSON and models."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set):
        return sorted(plain(v) for v in value)
    return value


def strip_keys(item: dict[str, Any], extra: Iterable[str] = ()) -> dict[str, Any]:
    drop = {"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", *extra}
    return {k: plain(v) for k, v in item.items() if k not in drop}
