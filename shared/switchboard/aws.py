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


def client(service: str, endpoint_url: str | None = None) -> Any:
    """A shared client; ``endpoint_url`` for the services reached at a URL of the deployment (API Gateway's
    connection management API), one client per URL."""
    kind = f"client@{endpoint_url}" if endpoint_url else "client"
    return _made.get((kind, service)) or _make(kind, service, endpoint_url)


def resource(service: str) -> Any:
    return _made.get(("resource", service)) or _make("resource", service)


def dynamodb() -> Any:
    """A DynamoDB client that takes and returns plain Python values: boto3's own document transforms (what
    a ``Table`` resource registers on its client), without building the resource, which costs a cold
    start 25 ms of CPU more than the client alone (docs/performance.md)."""
    return _made.get(("document", "dynamodb")) or _make("document", "dynamodb")


def _document_client(session: boto3.session.Session) -> Any:
    from boto3.dynamodb.transform import TransformationInjector, copy_dynamodb_params

    made = session.client("dynamodb", config=_CONFIG)
    injector = TransformationInjector()
    events = made.meta.events
    events.register("provide-client-params.dynamodb", copy_dynamodb_params, unique_id="dynamodb-create-params-copy")
    events.register("before-parameter-build.dynamodb", injector.inject_condition_expressions,
                    unique_id="dynamodb-condition-expression")
    events.register("before-parameter-build.dynamodb", injector.inject_attribute_value_input,
                    unique_id="dynamodb-attr-value-input")
    events.register("after-call.dynamodb", injector.inject_attribute_value_output,
                    unique_id="dynamodb-attr-value-output")
    return made


def _make(kind: str, service: str, endpoint_url: str | None = None) -> Any:
    global _session
    with _LOCK:
        if (kind, service) not in _made:
            if _session is None:
                _session = boto3.session.Session()
            if kind == "document":
                _made[(kind, service)] = _document_client(_session)
            else:
                factory = _session.resource if kind == "resource" else _session.client
                extra = {"endpoint_url": endpoint_url} if endpoint_url else {}
                _made[(kind, service)] = factory(service, config=_CONFIG, **extra)  # type: ignore[operator]
        return _made[(kind, service)]


def reset() -> None:
    """Drop cached clients and the session (tests that start a new moto backend, or change the
    environment the session read, call this)."""
    global _session
    with _LOCK:
        _made.clear()
        _session = None
