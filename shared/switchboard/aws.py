"""Lazily created boto3 clients, shared per process. Only the storage and client layer imports this.

boto3 honours ``AWS_ENDPOINT_URL``, which is how the local runtime points every client at moto.

Clients come from one boto3 session (its loader reads botocore's service and endpoint data once, not
once per client) and are created under a lock: boto3 sessions are not safe for concurrent client
creation, and a function that starts its batch on several threads would otherwise build the same
client on each of them.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
_LOCK = threading.Lock()
_session: boto3.session.Session | None = None
_made: dict[tuple[str, str], Any] = {}


def client(service: str) -> Any:
    return _made.get(("client", service)) or _make("client", service)


def resource(service: str) -> Any:
    return _made.get(("resource", service)) or _make("resource", service)


def _make(kind: str, service: str) -> Any:
    global _session
    with _LOCK:
        if (kind, service) not in _made:
            if _session is None:
                _session = boto3.session.Session()
            factory = _session.client if kind == "client" else _session.resource
            _made[(kind, service)] = factory(service, config=_CONFIG)  # type: ignore[operator]
        return _made[(kind, service)]


def reset() -> None:
    """Drop cached clients and the session (tests that start a new moto backend, or change the
    environment the session read, call this)."""
    global _session
    with _LOCK:
        _made.clear()
        _session = None
