"""Conformance for issue 20's BSUID and call payloads (tests/fixtures/whatsapp/, composed from Meta's
documented shapes), signed as Meta signs them, over real HTTP into the local runtime (its own process), and
read back as an operator would: each answered 200 and stored as its record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.inbound import FIXTURE_PHONE_NUMBER_ID, FIXTURE_WABA_ID
from tests.support.runtime import get, idle, local_runtime, token, whatsapp_webhook

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
# Posted in this order, as the customer's side would produce them.
ORDER = ["bsuid_text_message", "contacts_shared_phone", "system_user_changed_user_id", "user_id_update",
         "calls_connect", "calls_terminate", "calls_connect_business", "calls_status",
         "status_bsuid_delivered", "status_failed_no_contacts"]


@pytest.fixture(scope="module")
def runtime() -> Iterator[str]:
    with local_runtime({"SWITCHBOARD_DEMO_PHONE_NUMBER_ID": FIXTURE_PHONE_NUMBER_ID,
                        "SWITCHBOARD_DEMO_WABA_ID": FIXTURE_WABA_ID}) as url:
        yield url


def test_every_bsuid_and_call_fixture_is_accepted_and_stored_as_its_record(runtime: str) -> None:
    assert sorted(ORDER) == sorted(p.stem for p in FIXTURES.glob("*.json")
                                   if p.stem.startswith(("bsuid_", "calls_", "user_id_", "system_user_changed",
                                                         "contacts_shared", "status_bsuid", "status_failed_no")))
    for name in ORDER:
        assert whatsapp_webhook(runtime, json.loads((FIXTURES / f"{name}.json").read_text())) == 200, name
        idle(runtime)

    operator = token()
    sessions = get(runtime, "/sessions?limit=100", operator)["items"]
    stored = {m["provider_message_id"]: m for s in sessions
              for m in get(runtime, f"/sessions/{s['session_id']}/messages?limit=100", operator)["items"]}

    assert stored["wamid.BSUIDONLY1"]["kind"] == "text"
    assert stored["wamid.SHARED1"]["kind"] == "contacts"
    assert stored["wamid.SYSUSERID1"]["kind"] == "system"
    assert [m["kind"] for m in stored.values() if m["provider_message_id"].startswith("user_id_update:")] == ["system"]
    call = stored["wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh"]["call"]
    assert (call["direction"], call["outcome"], call["duration_seconds"]) == ("in", "completed", 115)
    business = stored["wacid.BUSINESS1"]["call"]
    assert (business["direction"], business["outcome"]) == ("out", "ringing")
    # one customer: the BSUID-only sender, who shared the phone the caller calls from, is one contact
    assert len({s["contact_id"] for s in sessions}) == 1
