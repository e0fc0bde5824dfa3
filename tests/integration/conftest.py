"""Fixtures several integration modules share: the Graph API simulator, and campaigns switched on."""

from __future__ import annotations

import pytest

import switchboard.aws as shared_aws

from tests.support.campaigns import enable_campaigns, store_template
from tests.support.outbound import simulator_server
from tests.support.realtime import BusTap


@pytest.fixture
def graph(api, demo, monkeypatch):  # noqa: ANN001, ANN201
    """The Graph API simulator, without status callbacks (tests drive statuses themselves)."""
    with simulator_server(api.gateway, monkeypatch, status_callbacks=False) as simulator:
        yield simulator


@pytest.fixture
def campaigns(aws, demo, monkeypatch):  # noqa: ANN001, ANN201
    """Campaigns enabled (scheduler settings) and an approved template stored."""
    enable_campaigns(monkeypatch)
    store_template()
    return aws


@pytest.fixture
def bus_tap(aws):  # noqa: ANN001, ANN201
    """The events the bus would hand the fan-out (tests/support/realtime.py BusTap)."""
    tap = BusTap()
    client = shared_aws.client("events")
    tap.attach(client)
    yield tap
    tap.detach(client)
