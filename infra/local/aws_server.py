"""moto's server as this machine's AWS, with each request applied atomically.

moto's backends are not safe under concurrent requests (a TransactWriteItems deep-copies tables while
another thread writes). Real AWS applies each request atomically and interleaves requests; a lock around
each request gives exactly that, so races between requests (the ones our conditional writes guard
against) still happen, while moto's own bookkeeping stays consistent."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

REQUEST_LOCK = threading.RLock()


class AtomicMotoServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        backup_touched_items_only()
        app = DomainDispatcherApplication(create_backend_app)

        def atomic(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            with REQUEST_LOCK:
                return list(app(environ, start_response))

        self._server: BaseWSGIServer = make_server(host, port, atomic, threaded=True,
                                                   request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> AtomicMotoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


def make_in_process_mock_atomic() -> None:
    """The same guarantee for ``mock_aws`` in tests: one request at a time through moto's stubber."""
    backup_touched_items_only()
    if getattr(BotocoreStubber, "_switchboard_atomic", False):
        return
    original = BotocoreStubber.__call__

    def atomic_call(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
        with REQUEST_LOCK:
            return original(self, *args, **kwargs)

    BotocoreStubber.__call__ = atomic_call  # type: ignore[method-assign]
    BotocoreStubber._switchboard_atomic = True  # type: ignore[attr-defined]


def backup_touched_items_only() -> None:
    """Make moto's TransactWriteItems cost what the transaction touches, not the table's size.

    moto backs a transaction up by deep-copying every table it touches, once per item of the transaction,
    so a 100-item transaction on a table of 30,000 items copies three million items (minutes, for a
    10,000-recipient campaign). Requests are applied one at a time (REQUEST_LOCK), so backing up just the
    items the transaction names, and putting them back when it is cancelled, is the same rollback."""
    import copy

    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType

    if getattr(DynamoDBBackend, "_switchboard_item_backups", False):
        return
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
    DynamoDBBackend._switchboard_item_backups = True  # type: ignore[attr-defined]
