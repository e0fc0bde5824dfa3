"""Shared fixtures: an AWS under moto with every declared resource, the demo tenant, and an in-process
API gateway (the local runtime's, without the socket) to call routes as a frontend or Meta would."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from infra.declaration import function
from infra.local import resources, seed, tokens
from infra.local.api_server import Gateway, Reply
from infra.local.aws_server import make_in_process_mock_atomic
from infra.local.triggers import drain
from switchboard import clock
from switchboard.services import reset_services

_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1",
    "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "Switchboard", "POWERTOOLS_LOG_LEVEL": "WARNING",
}


class Api:
    """Calls routes through the local gateway: JWT auth, API Gateway events, the declared function."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
        if body is not None and not isinstance(body, bytes):
            all_headers.setdefault("Content-Type", "application/json")
        reply: Reply = self.gateway.handle(method, path, all_headers, raw)
        content_type = reply.headers.get("Content-Type", "")
        return reply.status, (json.loads(reply.body) if "json" in content_type and reply.body else reply.body)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[resources.Created]:
    """A fresh moto AWS with every declared resource; the functions' environment points at it."""
    for name, value in _ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        created = resources.create_all(local=True)
        for name, value in created.environment.items():
            monkeypatch.setenv(name, value)
        reset_services()
        parameters.clear_caches()
        yield created
    reset_services()
    parameters.clear_caches()
    clock.reset()


@pytest.fixture
def demo(aws: resources.Created) -> seed.DemoSettings:
    settings = seed.DemoSettings.from_env()
    seed.seed_demo(settings)
    return settings


@pytest.fixture
def api(aws: resources.Created) -> Api:
    return Api(Gateway())


@pytest.fixture
def operator_token() -> str:
    return tokens.issue("demo", "operator")


@pytest.fixture
def admin_token() -> str:
    return tokens.issue("demo", "admin")


@pytest.fixture
def process_inbound(aws: resources.Created):  # noqa: ANN201
    """Run contact_resolution over everything on the inbound queue, as Lambda's trigger would."""
    return lambda: drain(function("contact_resolution"), aws.queue_urls["inbound"])


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    make_in_process_mock_atomic()
