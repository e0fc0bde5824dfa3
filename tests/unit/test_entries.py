"""Each function's entries: one per event shape it is declared to receive, and nothing else reaches them."""

from __future__ import annotations

import importlib

import pytest

from infra.declaration import FUNCTIONS
from switchboard.api.entries import API, INVOKE, shape_of
from switchboard.clients.eventbus import SOURCE


def _entries(name: str) -> dict:
    return importlib.import_module(f"functions.{name}.handler").ENTRIES


@pytest.mark.parametrize("spec", [f for f in FUNCTIONS if f.name in ("webhook_receipt", "template_sync", "campaign_dispatch", "sla_timers")],
                         ids=lambda f: f.name)
def test_every_declared_event_shape_has_its_own_entry(spec) -> None:
    declared = {(t.source if t.source != "switchboard" else SOURCE, d) for t in spec.events for d in t.detail_types}
    declared |= {API} if spec.routes else set()
    declared |= {("aws.events", "Scheduled Event")} if spec.schedules else set()
    assert set(_entries(spec.name)) - {INVOKE} == declared


def test_a_bus_event_is_not_taken_for_an_api_request() -> None:
    assert shape_of({"source": "aws.s3", "detail-type": "Object Created", "detail": {}}) == ("aws.s3", "Object Created")


def test_an_api_request_is_an_api_request() -> None:
    assert shape_of({"requestContext": {}, "httpMethod": "POST", "detail-type": "x"}) == API


def test_a_scheduler_input_is_a_direct_invocation() -> None:
    assert shape_of({"tenant_id": "t", "campaign_id": "c"}) == INVOKE


def test_an_event_of_an_undeclared_shape_is_ignored() -> None:
    handler = importlib.import_module("functions.campaign_dispatch.handler")
    from infra.local.lambdas import LambdaContext

    assert handler.handler({"source": "aws.s3", "detail-type": "Object Created"}, LambdaContext("x")) == {
        "ignored": "('aws.s3', 'Object Created')"}
