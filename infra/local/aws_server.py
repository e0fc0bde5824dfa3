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
    if getattr(BotocoreStubber, "_switchboard_atomic", False):
        return
    original = BotocoreStubber.__call__

    def atomic_call(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
        with REQUEST_LOCK:
            return original(self, *args, **kwargs)

    BotocoreStubber.__call__ = atomic_call  # type: ignore[method-assign]
    BotocoreStubber._switchboard_atomic = True  # type: ignore[attr-defined]
