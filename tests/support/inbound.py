"""Helpers for the inbound tests: the pywa fixtures, channels for their numbers, posting and reading."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from infra.local import seed
from tests.support.whatsapp import DEMO_APP_SECRET, signed

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "whatsapp" / "pywa"
FIXTURE_PHONE_NUMBER_ID = "1122334455667"
FIXTURE_WABA_ID = "1234567890987654321"
# The other numbers and accounts the fixtures name, as extra channels of the demo tenant.
EXTRA_CHANNELS = {"wa-second": ("106540352242922", "102290129340398"),
                  "wa-placeholder": ("<BUSINESS_PHONE_NUMBER_ID>", "<WHATSAPP_BUSINESS_ACCOUNT_ID>"),
                  "wa-templates": ("5500000000001", "57438975935")}


def fixture_cases() -> list[tuple[str, str, dict[str, Any]]]:
    """(file stem, case name, webhook body) for every case of every fixture file."""
    cases = []
    for path in sorted(FIXTURES.glob("*.json")):
        for name, body in json.loads(path.read_text()).items():
            cases.append((path.stem, name, body))
    return cases


def fixture(stem: str, case: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((FIXTURES / f"{stem}.json").read_text())[case])


def extra_channels_env() -> str:
    return ",".join(f"{cid}={pn}/{waba}" for cid, (pn, waba) in EXTRA_CHANNELS.items())


def seed_fixture_channels() -> None:
    """The fixtures' numbers as channels of the demo tenant (the main one is "wa-fixtures")."""
    seed.whatsapp_channel("demo", "wa-fixtures", FIXTURE_PHONE_NUMBER_ID, FIXTURE_WABA_ID, DEMO_APP_SECRET,
                          "fixtures-verify", "demo-access-token")
    for channel_id, (phone_number_id, waba_id) in EXTRA_CHANNELS.items():
        seed.whatsapp_channel("demo", channel_id, phone_number_id, waba_id, DEMO_APP_SECRET,
                              f"verify-{channel_id}", "demo-access-token")


def messages_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for e in body["entry"] for c in e["changes"] for m in c["value"].get("messages", [])]


def post(api: Any, body: dict[str, Any]) -> tuple[int, Any]:
    raw, headers = signed(body)
    return api.call("POST", "/webhooks/whatsapp", raw, headers=headers)


def all_messages(api: Any, token: str) -> list[dict[str, Any]]:
    """Every message of every session the operator sees, oldest first within a session."""
    found = []
    for session in api.call("GET", "/sessions?limit=100", token=token)[1]["items"]:
        page = api.call("GET", f"/sessions/{session['session_id']}/messages?limit=100", token=token)[1]
        found.extend(page["items"])
    return found
