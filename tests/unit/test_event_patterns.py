"""The one event-pattern matcher (infra/event_patterns.py) says what EventBridge says: on every pattern the
declaration's rules carry and on the operators it admits, it agrees with moto's rule matching (what the
local runtime's rules deliver) and with EventBridge's documented behaviour (the expected column)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.events.models import EventPattern, EventPatternParser

from infra.declaration import FUNCTIONS
from infra.event_patterns import matches, rule_pattern, validate


def _event(detail_type: str, detail: dict[str, Any], source: str = "switchboard") -> dict[str, Any]:
    return {"version": "0", "id": "1", "detail-type": detail_type, "source": source, "account": "1",
            "time": "2026-01-01T00:00:00Z", "region": "eu-west-1", "resources": [], "detail": detail}


def _moto(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    raw = json.dumps(pattern)
    return bool(EventPattern(raw, EventPatternParser(raw).parse()).matches_event(event))


RECEIVED = {"tenant_id": "t", "session_id": "s", "kind": "text", "suppressed": False,
            "message": {"kind": "text", "text": "hi"}}
# (pattern on detail, detail, EventBridge's answer)
CASES = [
    ({"survey_reply": [True]}, {**RECEIVED, "survey_reply": True}, True),
    ({"survey_reply": [True]}, {**RECEIVED, "survey_reply": False}, False),
    ({"survey_reply": [True]}, RECEIVED, False),  # a field the event lacks matches no value
    ({"survey_reply": [True]}, {**RECEIVED, "survey_reply": "true"}, False),  # JSON types: "true" is not true
    ({"moves_sla": [True]}, {**RECEIVED, "moves_sla": 1}, False),  # nor is 1 (moto says it is: MOTO_DIFFERS)
    ({"kind": ["text", "image"]}, RECEIVED, True),
    ({"message": {"kind": ["text"]}}, RECEIVED, True),
    ({"message": {"kind": ["image"]}}, RECEIVED, False),
    ({"message": {"text": [{"prefix": "h"}]}}, RECEIVED, True),
    ({"message": {"text": [{"prefix": "x"}]}}, RECEIVED, False),
    ({"session_id": [{"exists": True}]}, RECEIVED, True),
    ({"operator_id": [{"exists": True}]}, RECEIVED, False),
    ({"operator_id": [{"exists": False}]}, RECEIVED, True),
    ({"kind": [{"anything-but": ["interactive"]}]}, RECEIVED, True),
    ({"kind": [{"anything-but": ["text"]}]}, RECEIVED, False),
    ({"tags": ["vip"]}, {**RECEIVED, "tags": ["new", "vip"]}, True),  # an array matches if one element does
    ({"tags": ["vip"]}, {**RECEIVED, "tags": ["new"]}, False),
    ({"session_id": [None]}, {**RECEIVED, "session_id": None}, True),  # null matches null
    ({"$or": [{"survey_reply": [True]}, {"moves_sla": [True]}]}, {**RECEIVED, "moves_sla": True}, True),
    ({"$or": [{"survey_reply": [True]}, {"moves_sla": [True]}]}, RECEIVED, False),
    ({"suppressed": [False], "moves_sla": [True]}, {**RECEIVED, "moves_sla": True}, True),
    ({"suppressed": [False], "moves_sla": [True]}, {**RECEIVED, "moves_sla": True, "suppressed": True}, False),
]
# Where moto's rule matching is not EventBridge's: Python's 1 == True. The producers put booleans, never 1.
MOTO_DIFFERS = {4}


@pytest.mark.parametrize(("detail_filter", "detail", "expected"), CASES)
def test_the_matcher_answers_as_eventbridge_documents(detail_filter: dict[str, Any], detail: dict[str, Any],
                                                      expected: bool) -> None:
    assert matches(rule_pattern("switchboard", ("message.received",), detail_filter),
                   _event("message.received", detail)) is expected


@pytest.mark.parametrize(("detail_filter", "detail", "expected"),
                         [case for number, case in enumerate(CASES) if number not in MOTO_DIFFERS])
def test_moto_answers_the_same(detail_filter: dict[str, Any], detail: dict[str, Any], expected: bool) -> None:
    assert _moto(rule_pattern("switchboard", ("message.received",), detail_filter),
                 _event("message.received", detail)) is expected


def _declared_rules() -> list[tuple[str, dict[str, Any]]]:
    return [(spec.name, rule_pattern(t.source, t.detail_types, t.detail))
            for spec in FUNCTIONS for t in spec.events if t.bus == "switchboard"]


def _probe_events() -> list[dict[str, Any]]:
    """Each declared filter's detail types with details that do and do not have each filtered field."""
    found = []
    for spec in FUNCTIONS:
        for trigger in spec.events:
            for detail_type in trigger.detail_types:
                found.append(_event(detail_type, dict(RECEIVED)))
                for field in (trigger.detail or {}):
                    for value in (True, False, None, "x"):
                        found.append(_event(detail_type, {**RECEIVED, field: value}))
    found.append(_event("message.received", dict(RECEIVED), source="aws.s3"))
    return found


def test_moto_and_the_matcher_agree_on_every_declared_rule() -> None:
    rules, probes = _declared_rules(), _probe_events()
    disagreements = [(name, event["detail-type"], event["detail"]) for name, pattern in rules for event in probes
                     if matches(pattern, event) != _moto(pattern, event)]
    assert disagreements == []


def test_some_declared_rule_filters_on_the_detail() -> None:
    assert any("detail" in pattern for _, pattern in _declared_rules())


@pytest.mark.parametrize("bad", [{"n": [{"numeric": [">", 1]}]}, {"n": [{"wildcard": "a*"}]}, {"n": []},
                                 {"n": "x"}, {"$or": [{"n": ["x"]}]}])
def test_an_operator_the_matcher_does_not_know_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        validate(bad)
