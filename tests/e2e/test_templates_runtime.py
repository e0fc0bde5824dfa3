"""Templates on the local runtime, over real HTTP: an admin syncs the demo account's templates from the
Graph API simulator; a template created at "Meta" is announced by a signed webhook and reaches the
operators' list through contact_resolution, the bus rule and template_sync, without another sync."""

from __future__ import annotations

import time

import pytest

from tests.support.runtime import api, token

WABA = "102290129340398"
pytestmark = pytest.mark.e2e


def _token(role: str) -> str:
    return token("--role", role)


def _names(runtime: str, token: str, query: str = "") -> list[str]:
    status, page = api("GET", f"{runtime}/templates{query}", token)
    assert status == 200, page
    return [t["name"] for t in page["items"]]


def test_sync_then_a_template_created_at_meta_arrives_by_webhook(runtime: str) -> None:
    admin, operator = _token("admin"), _token("operator")

    status, result = api("POST", f"{runtime}/templates/sync", admin, {})
    assert status == 200 and result["ok"] is True, result
    assert result["channels"][0]["fetched"] == 3
    assert _names(runtime, operator) == ["coupon_expiration_reminder", "order_update", "reservation_confirmation"]

    status, created = api(
        "POST",
        f"{runtime}/_graph/v25.0/{WABA}/message_templates",
        body={
            "name": "shipping_delay",
            "language": "en_US",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Sorry {{1}}, your parcel is late."}],
        },
    )
    assert status == 200 and created["status"] == "APPROVED"

    # The webhook's minimal record comes first; template_sync's refresh completes it.
    deadline, template = time.monotonic() + 30, {}
    while time.monotonic() < deadline and not template.get("synced_at"):
        time.sleep(0.2)
        items = api("GET", f"{runtime}/templates?q=shipping", operator)[1]["items"]
        template = items[0] if items else {}
    assert template["body"] == "Sorry {{1}}, your parcel is late."
    assert template["parameters"]["body"] == ["1"] and template["synced_at"]

    assert api("DELETE", f"{runtime}/_graph/v25.0/{WABA}/message_templates?name=order_update")[0] == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "order_update" in _names(runtime, operator):
        time.sleep(0.2)
    assert _names(runtime, operator, "?status=DELETED") == ["order_update"]
