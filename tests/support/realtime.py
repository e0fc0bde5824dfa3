"""A frontend's side of the realtime API: a WebSocket client that collects frames in the background, catching
up with ``GET /events``, and a webhook receiver that verifies signatures (and fails some deliveries)."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from websockets.sync.client import ClientConnection, connect

from switchboard.realtime import signing
from tests.support.runtime import api


def ws_url(runtime: str, token: str) -> str:
    return runtime.replace("http://", "ws://") + f"/ws?token={token}"


def events_after(runtime: str, token: str, after: int) -> list[dict[str, Any]]:
    """Every event after ``after``, page by page, as a reconnecting frontend reads them."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = f"cursor={cursor}" if cursor else f"after={after}"
        status, page = api("GET", f"{runtime}/events?{query}&limit=100", token)
        assert status == 200, page
        found += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return found


def last_seq(runtime: str, token: str) -> int:
    events = events_after(runtime, token, 0)
    return events[-1]["seq"] if events else 0


class Listener:
    """An open WebSocket whose frames are collected by a thread."""

    def __init__(self, runtime: str, token: str) -> None:
        self.connection: ClientConnection = connect(ws_url(runtime, token), open_timeout=10)
        self.frames: list[dict[str, Any]] = []
        self.arrived: list[float] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for message in self.connection:
                with self.changed:
                    self.frames.append(json.loads(message))
                    self.arrived.append(time.perf_counter())
                    self.changed.notify_all()
        except Exception:  # noqa: BLE001 - the connection closed
            return

    def wait_for(self, found: Callable[[list[dict[str, Any]]], bool], timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not found(self.frames):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.changed.wait(remaining)
        return True

    def close(self) -> None:
        self.connection.close()
        self.thread.join(timeout=5)


class Receiver:
    """An HTTP endpoint for webhook deliveries: records each attempt with whether its signature verified;
    answers 503 to a share of them (``fail_ratio``), 200 to the rest."""

    def __init__(self, fail_ratio: float = 0.0, seed: int = 18) -> None:
        self.secret = ""
        self.fail_ratio = fail_ratio
        self.random = random.Random(seed)
        self.attempts: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    fail = receiver.random.random() < receiver.fail_ratio
                    receiver.attempts.append({
                        "delivery": self.headers.get(signing.DELIVERY), "body": body, "failed": fail,
                        "verified": signing.verify(receiver.secret, self.headers.get(signing.TIMESTAMP, ""), body,
                                                   self.headers.get(signing.SIGNATURE, ""), time.time())})
                self.send_response(503 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def delivered(self) -> dict[str, bytes]:
        """delivery id -> body, of the attempts answered 200."""
        with self.lock:
            return {a["delivery"]: a["body"] for a in self.attempts if not a["failed"]}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class BusTap:
    """What the bus rule hands the fan-out: every event put on the bus through the shared events client, in
    EventBridge's envelope (its id as PutEvents answered it), in publishing order."""

    def __init__(self) -> None:
        self.envelopes: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []

    def _before(self, params: dict[str, Any], **_: object) -> None:
        self._pending = list(params.get("Entries") or [])

    def _after(self, parsed: dict[str, Any], **_: object) -> None:
        for entry, answer in zip(self._pending, parsed.get("Entries") or [], strict=False):
            if answer.get("EventId"):
                self.envelopes.append({"version": "0", "id": answer["EventId"], "detail-type": entry["DetailType"],
                                       "source": entry["Source"], "time": "", "detail": json.loads(entry["Detail"])})

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.events.PutEvents", self._before)
        client.meta.events.register("after-call.events.PutEvents", self._after)

    def detach(self, client: Any) -> None:
        client.meta.events.unregister("provide-client-params.events.PutEvents", self._before)
        client.meta.events.unregister("after-call.events.PutEvents", self._after)

    def take(self) -> list[dict[str, Any]]:
        taken, self.envelopes = self.envelopes, []
        return taken
