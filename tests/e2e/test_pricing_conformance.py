"""Conformance for issue 20's pricing payloads (tests/fixtures/whatsapp/, composed from Meta's documented
shapes), signed as Meta signs them, over real HTTP into the local runtime: each answered 200 and kept as its
record (the status with pricing waits parked for its message, docs/inbound.md; the tier update is shown to
admins with the costs report)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.runtime import get, idle, token, whatsapp_webhook

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
ORDER = ["status_with_pricing", "account_update_volume_tier"]


def test_every_pricing_fixture_is_accepted_and_kept(runtime: str) -> None:
    for name in ORDER:
        assert whatsapp_webhook(runtime, json.loads((FIXTURES / f"{name}.json").read_text())) == 200, name
        idle(runtime)
    report = get(runtime, "/reports/costs", token("--role", "admin"))
    assert [(t["effective_month"], t["category"], t["tier"]) for t in report["tier_updates"]] == [
        ("2026-12", "utility", "25000001:50000000")]
