"""Lazily created boto3 clients, shared per process. Only the storage and client layer imports this.

boto3 honours ``AWS_ENDPOINT_URL``, which is how the local runtime points every client at moto.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


@cache
def client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_CONFIG)


@cache
def resource(service: str) -> Any:
    return boto3.session.Session().resource(service, config=_CONFIG)


def reset() -> None:
    """Drop cached clients (tests that start a new moto backend call this)."""
    client.cache_clear()
    resource.cache_clear()
