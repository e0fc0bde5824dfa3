"""Conformance: every case of the pywa webhook fixtures, signed as Meta signs them, over real HTTP into
the local runtime (its own process), and what was stored for each, read back as an operator and an admin
would. The runtime serves the fixtures' numbers as channels of the demo tenant; media is fetched from a
small Graph stand-in this test runs, with the channel's token."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.inbound import (
    FIXTURE_PHONE_NUMBER_ID,
    FIXTURE_WABA_ID,
    extra_channels_env,
    fixture_cases,
    messages_of,
)
from tests.support.runtime import get, http, idle, local_runtime, token, whatsapp_webhook
from tests.support.whatsapp import envelope, text_message

pytestmark = pytest.mark.e2e
TOKEN = "demo-access-token"
# Ids kept as the fixtures have them: the statuses refer to them. Every other message gets its own id.
KEEP_IDS = {("message", "text"), ("deleted_message", "revoke")}
REACTION_TARGET = "wamid.yzxyzx="
EDITED = "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA="
REVOKED = "<ORIGINAL_WHATSAPP_MESSAGE_ID>"


def media_content(media_id: str) -> bytes:
    return f"file {media_id} ".encode() * 64


class _Graph(BaseHTTPRequestHandler):
    """GET /v25.0/<media id> (the lookup) and GET /files/<media id> (the download), token required."""

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._reply(401, b'{"error": {"code": 190, "message": "bad token"}}')
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if match := re.fullmatch(r"/v25\.0/(\w+)", self.path):
            content = media_content(match.group(1))
            return self._reply(200, json.dumps({
                "messaging_product": "whatsapp", "url": f"{base}/files/{match.group(1)}",
                "mime_type": "application/octet-stream", "sha256": hashlib.sha256(content).hexdigest(),
                "file_size": len(content), "id": match.group(1)}).encode())
        if match := re.fullmatch(r"/files/(\w+)", self.path):
            return self._reply(200, media_content(match.group(1)), "application/octet-stream")
        return self._reply(404, b'{"error": {"code": 100, "message": "no such media"}}')

    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def graph() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Graph)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def runtime(graph: str) -> Iterator[str]:
    with local_runtime({"SWITCHBOARD_DEMO_PHONE_NUMBER_ID": FIXTURE_PHONE_NUMBER_ID,
                        "SWITCHBOARD_DEMO_WABA_ID": FIXTURE_WABA_ID,
                        "SWITCHBOARD_DEMO_EXTRA_WHATSAPP_CHANNELS": extra_channels_env(),
                        "SWITCHBOARD_DEMO_ACCESS_TOKEN": TOKEN, "GRAPH_API_BASE_URL": f"{graph}/v25.0"}) as url:
        yield url


def _given(sender: str, wamid: str, phone_number_id: str, waba_id: str) -> dict:
    return envelope([text_message(sender=sender, wamid=wamid, body=f"given {wamid}", timestamp=1690000000)],
                    phone_number_id=phone_number_id, waba_id=waba_id)


def _stored_messages(url: str, token: str) -> dict[str, dict]:
    found = {}
    for session in get(url, "/sessions?limit=100", token)["items"]:
        for message in get(url, f"/sessions/{session['session_id']}/messages?limit=100", token)["items"]:
            found[message["provider_message_id"]] = message
    return found


# (fixture, case) -> what the stored message shows (a subset of the operator API's message view)
EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    ("callback_button", "button"): {"kind": "interactive", "text": "title", "reply_to_provider_id": "wamid.xyzxyz",
                                    "content": {"type": "button_reply",
                                                "button_reply": {"id": "callback_data", "title": "title"}}},
    ("callback_button", "quick_reply"): {"kind": "button", "text": "title", "reply_to_provider_id": "wamid.xyzxyz==",
                                         "content": {"payload": "callback_data", "text": "title"}},
    ("callback_button", "quick_reply_without_context"): {"kind": "button", "text": "title",
                                                         "reply_to_provider_id": None},
    ("callback_selection", "callback"): {"kind": "interactive", "text": "title"},
    ("callback_selection", "description"): {"kind": "interactive", "content": {"type": "list_reply", "list_reply": {
        "id": "callback_data", "title": "title", "description": "description"}}},
    ("deleted_message", "revoke"): {"kind": "revoke", "target_provider_id": REVOKED, "status": "read"},
    ("edited_message", "image"): {"kind": "edit", "text": "Updated image caption", "target_provider_id": EDITED},
    ("message", "text"): {"kind": "text", "text": "Body Text", "status": "failed"},
    ("message", "image"): {"kind": "image", "text": "[image]"},
    ("message", "media_with_url"): {"kind": "image"},
    ("message", "video"): {"kind": "video", "text": "caption", "forwarded": True},
    ("message", "document"): {"kind": "document", "text": "caption", "forwarded": True},
    ("message", "audio"): {"kind": "audio", "forwarded": True},
    ("message", "voice"): {"kind": "audio", "forwarded": False},
    ("message", "static_sticker"): {"kind": "sticker"},
    ("message", "animated_sticker"): {"kind": "sticker"},
    ("message", "reaction"): {"kind": "reaction", "text": "\N{FACE WITH OPEN MOUTH}",
                              "target_provider_id": REACTION_TARGET},
    ("message", "unreaction_empty"): {"kind": "reaction", "text": "[reaction removed]"},
    ("message", "unreaction_no_emoji"): {"kind": "reaction", "text": "[reaction removed]"},
    ("message", "current_location"): {"kind": "location", "text": "[location]", "forwarded": True,
                                      "content": {"latitude": 12.25089, "longitude": 43.90539}},
    ("message", "chosen_location"): {"kind": "location", "text": "Facebook HQ"},
    ("message", "contacts"): {"kind": "contacts", "text": "[contacts] Chandler Bing, Monica, Rachel Green"},
    ("message", "order"): {"kind": "order", "text": "[order] 3 items"},
    ("message", "unsupported"): {"kind": "unsupported", "text": "[unsupported]"},
    ("message", "unsupported_with_type"): {"kind": "unsupported",
                                           "content": {"original_type": "unsupported", "body": {"type": "pool"}}},
    ("message", "reply"): {"kind": "text", "text": "replied text", "reply_to_provider_id": "wamid.xyzxyz=="},
    ("message", "forwarded"): {"kind": "text", "forwarded": True, "frequently_forwarded": False},
    ("message", "forwarded_many_times"): {"kind": "text", "frequently_forwarded": True},
    ("message", "interactive_message_with_err"): {"kind": "interactive", "text": "[interactive]"},
    ("message", "referral"): {"kind": "text", "text": "BODY"},
    ("system", "phone_number_change"): {"kind": "system",
                                        "text": "User A changed from 972987654321 to 972912345678"},
    ("system", "identity_change"): {"kind": "system", "text": "User identity changed"},
}
MEDIA_CASES = {("message", c) for c in ("image", "media_with_url", "video", "document", "audio", "voice",
                                        "static_sticker", "animated_sticker")} | {("edited_message", "image")}
# Fields other than messages: kept for admins (GET /webhook-errors?kind=field) and acted on.
FIELD_CASES = {("template_category_update", "marketing"): "template_category_update",
               ("template_components_update", "element"): "message_template_components_update",
               ("template_quality_update", "yellow"): "message_template_quality_update",
               ("template_status_update", "approved"): "message_template_status_update",
               ("template_status_update", "rejected"): "message_template_status_update",
               ("user_marketing_preferences", "resume"): "user_preferences",
               ("user_marketing_preferences", "signup"): "user_preferences"}
STATUS_CASES = {("message_status", c) for c in ("sent", "delivered", "read", "played", "failed", "with_tracker",
                                                "group")}


def _with_served_sha256(message: dict) -> None:
    """Meta's webhook carries the sha256 of the file it serves; the fixtures' are placeholders."""
    for value in message.values():  # the media object, also inside an edit's new version
        if isinstance(value, dict):
            if value.get("sha256") and value.get("id"):
                value["sha256"] = base64.b64encode(hashlib.sha256(media_content(str(value["id"]))).digest()).decode()
            else:
                _with_served_sha256(value)


def test_every_fixture_case_is_accepted_and_stored_as_the_right_record(runtime: str) -> None:
    cases = fixture_cases()
    covered = set(EXPECTED) | set(FIELD_CASES) | STATUS_CASES
    assert {(stem, case) for stem, case, _ in cases} == covered, "a fixture case has no expectation"

    # Given the messages that the reactions, the edit and the revoke refer to
    for body in (_given("972987654321", REACTION_TARGET, FIXTURE_PHONE_NUMBER_ID, FIXTURE_WABA_ID),
                 _given("16505551234", EDITED, "106540352242922", "102290129340398"),
                 _given("<WHATSAPP_USER_PHONE_NUMBER>", REVOKED, "<BUSINESS_PHONE_NUMBER_ID>",
                        "<WHATSAPP_BUSINESS_ACCOUNT_ID>")):
        assert whatsapp_webhook(runtime, body) == 200
    idle(runtime)

    # When every case is posted, signed, file by file (as Meta would, in its order)
    provider_id: dict[tuple[str, str], str] = {}
    stems = sorted({stem for stem, _, _ in cases})
    for stem in stems:
        for _, case, original in (c for c in cases if c[0] == stem):
            body = copy.deepcopy(original)
            for message in messages_of(body):
                if (stem, case) not in KEEP_IDS:
                    message["id"] = f"wamid.{stem}.{case}"
                provider_id[(stem, case)] = message["id"]
                _with_served_sha256(message)
            assert whatsapp_webhook(runtime, body) == 200, (stem, case)
        idle(runtime)
    # and the reaction once more, after its removals
    again = copy.deepcopy(next(b for s, c, b in cases if (s, c) == ("message", "reaction")))
    messages_of(again)[0]["id"] = "wamid.reaction.again"
    assert whatsapp_webhook(runtime, again) == 200
    idle(runtime)

    operator, admin = token(), token("--role", "admin")
    stored = _stored_messages(runtime, operator)

    # Then each message case is stored as its kind, with what makes it that kind
    for key, expected in EXPECTED.items():
        message = stored.get(provider_id[key])
        assert message is not None, f"{key} was not stored"
        for field, value in expected.items():
            if isinstance(value, dict):
                assert value.items() <= (message[field] or {}).items(), (key, field, message[field])
            else:
                assert message[field] == value, (key, field, message[field])
    assert len({m["message_id"] for m in stored.values()}) == len(EXPECTED) + 4  # + 3 given + 1 reaction again

    # media: fetched with the channel's token, checked, in S3, downloadable through a short-lived link
    for key in MEDIA_CASES:
        media = stored[provider_id[key]]["media"]
        assert media["status"] == "available", (key, media)
        status, content = http("GET", media["download_url"])
        assert status == 200 and content == media_content(media["media_id"]), key
    assert stored[provider_id[("message", "voice")]]["media"]["voice"] is True
    assert stored[provider_id[("message", "document")]]["media"]["filename"] == "filename.pdf"
    assert stored[provider_id[("message", "referral")]]["referral"]["ctwa_clid"] == "CTWA_CLID"
    assert len(stored[provider_id[("message", "order")]]["content"]["product_items"]) == 3
    assert stored[provider_id[("message", "unsupported")]]["provider_errors"][0]["code"] == 131051

    # reactions, the edit and the revoke changed the messages they refer to
    assert stored[REACTION_TARGET]["reaction"]["emoji"] == "\N{FACE WITH OPEN MOUTH}"
    assert stored[EDITED]["text"] == "Updated image caption" and stored[EDITED]["edited_at"]
    assert stored[REVOKED]["revoked_at"] and stored[REVOKED]["text"] == "[message deleted]"

    # statuses: every one kept with its time; failed is final; Meta's error kept
    text = stored["wamid.xyzxyz"]
    assert set(text["statuses"]) == {"sent", "delivered", "read", "played", "failed"}
    assert text["error"]["code"] == 130472 and "experiment" in text["error"]["title"]

    # the number change kept one contact and one thread for the customer
    system = [stored[provider_id[("system", c)]] for c in ("phone_number_change", "identity_change")]
    assert system[0]["session_id"] == system[1]["session_id"] == text["session_id"]

    # webhook-level errors and the other fields are visible to admins, not to operators
    errors = get(runtime, "/webhook-errors", admin)["items"]
    assert [e["errors"][0]["code"] for e in errors] == [131000]
    fields = get(runtime, "/webhook-errors?kind=field&limit=100", admin)["items"]
    assert sorted(f["field"] for f in fields) == sorted(FIELD_CASES.values())
    assert http("GET", f"{runtime}/webhook-errors", headers={"Authorization": f"Bearer {operator}"})[0] == 403

    # template events reached the template store
    templates = get(runtime, "/templates?channel_id=wa-second", admin)["items"]
    assert {(t["name"], t["status"]) for t in templates} >= {("order_confirmation", "APPROVED"),
                                                             ("abandoned_cart", "REJECTED")}


def test_an_update_for_a_number_nobody_serves_is_refused(runtime: str) -> None:
    body = copy.deepcopy(next(b for s, c, b in fixture_cases() if (s, c) == ("message", "text")))
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999000999"
    body["entry"][0]["id"] = "999000999000"
    assert whatsapp_webhook(runtime, body) == 403
