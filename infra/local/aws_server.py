"""moto's server as this machine's AWS, with each request applied atomically.

``MotoProcess`` runs it in a process of its own (the local runtime's AWS): its work then runs beside the
functions' on the machine's other core, as AWS's runs beside a Lambda's, instead of taking turns with
them for one interpreter's lock. ``AtomicMotoServer`` runs it on a thread of this process (benchmarks
that measure their own CPU time beside it).

moto's backends are not safe under concurrent requests (a TransactWriteItems deep-copies tables while
another thread writes). Real AWS applies each request atomically and interleaves requests; a lock around
each request gives exactly that, so races between requests (the ones our conditional writes guard
against) still happen, while moto's own bookkeeping stays consistent."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from infra.local import moto_speedups

REQUEST_LOCK = threading.RLock()


class _Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves a host (moto lists its package directory on
    disk to decide, for every request)."""

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]


class _KeepAliveHandler(MotoRequestHandler):
    """HTTP/1.1, so boto3's connection pool keeps its connections (HTTP/1.0 closes each after one request,
    and every call would connect anew)."""

    protocol_version = "HTTP/1.1"


class _LongPolls:
    """SQS long polling (``WaitTimeSeconds``) without holding the request lock: moto would wait inside the
    request, and every other request would wait with it. The receive is tried at once; while it finds
    nothing, it is tried again whenever a message is sent or made visible again (or every quarter second,
    for delays and visibility timeouts running out), until the wait is over."""

    _CHANGES = frozenset({"AmazonSQS.SendMessage", "AmazonSQS.SendMessageBatch",
                          "AmazonSQS.ChangeMessageVisibility", "AmazonSQS.ChangeMessageVisibilityBatch"})

    def __init__(self, app: Any) -> None:
        self.app = app
        self._queues: dict[str, threading.Condition] = {}  # a queue's URL -> the polls waiting on it
        self._queues_lock = threading.Lock()

    def _changed(self, queue_url: str) -> threading.Condition:
        name = queue_url.rsplit("/", 1)[-1]  # the queue's name: clients may spell its URL differently
        with self._queues_lock:
            return self._queues.setdefault(name, threading.Condition())

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        request: dict[str, Any] = {}
        if target == "AmazonSQS.ReceiveMessage" or target in self._CHANGES:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            request = json.loads(body or b"{}")
            wait = float(request.get("WaitTimeSeconds") or 0) if target == "AmazonSQS.ReceiveMessage" else 0
            if wait > 0:
                return self._long_poll(environ, start_response, {**request, "WaitTimeSeconds": 0}, wait)
        answer = self._atomic(environ, start_response)
        if target in self._CHANGES:
            changed = self._changed(str(request.get("QueueUrl", "")))
            with changed:
                changed.notify_all()
        return answer

    def _atomic(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with REQUEST_LOCK:
            moto_speedups.begin_request()
            return list(self.app(environ, start_response))

    def _long_poll(self, environ: dict[str, Any], start_response: Any, request: dict[str, Any],
                   wait: float) -> list[bytes]:
        body = json.dumps(request).encode()
        changed = self._changed(str(request.get("QueueUrl", "")))
        deadline = time.monotonic() + wait
        while True:
            started: list[Any] = []
            attempt = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
            answer = self._atomic(attempt, lambda *args: started.append(args))
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not started[0][0].startswith("200") or json.loads(
                    b"".join(answer) or b"{}").get("Messages"):
                start_response(*started[0])
                return answer
            with changed:
                changed.wait(min(0.25, remaining))


class AtomicMotoServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        moto_speedups.apply()
        atomic = _LongPolls(_Dispatcher())

        self._server: BaseWSGIServer = make_server(host, port, atomic, threaded=True,
                                                   request_handler=_KeepAliveHandler)
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


class MotoProcess:
    """moto's server in a child process (``python -m infra.local.aws_server``), which prints its endpoint
    and serves until its standard input closes: when ``stop`` is called, or when this process ends."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.endpoint = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> MotoProcess:
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self._process = subprocess.Popen(  # noqa: S603 - our own module, with this interpreter
            [sys.executable, "-m", "infra.local.aws_server", self.host], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env=environment,
            # its own process group: a terminal's Ctrl-C reaches the runtime, which stops it in order
            start_new_session=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"moto's server did not start (it said {line!r})")
        self.endpoint = line
        return self

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None


def _serve_until_stdin_closes(host: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us (by closing stdin), not Ctrl-C
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = AtomicMotoServer(host).start()
    print(server.endpoint, flush=True)
    sys.stdin.read()  # returns at end of file: the parent closed it, or is gone
    server.stop()


def make_in_process_mock_atomic() -> None:
    """The same guarantee for ``mock_aws`` in tests: one request at a time through moto's stubber."""
    moto_speedups.apply()
    if getattr(BotocoreStubber, "_switchboard_atomic", False):
        return
    original = BotocoreStubber.__call__

    def atomic_call(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
        with REQUEST_LOCK:
            moto_speedups.begin_request()
            return original(self, *args, **kwargs)

    BotocoreStubber.__call__ = atomic_call  # type: ignore[method-assign]
    BotocoreStubber._switchboard_atomic = True  # type: ignore[attr-defined]


if __name__ == "__main__":
    _serve_until_stdin_closes(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1")
