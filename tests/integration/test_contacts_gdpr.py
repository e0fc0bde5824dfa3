"""An admin anonymises a contact (it stays, nameless, its messages without its identifiers, its media
deleted) or erases it with its conversations; both are in the audit log, which names no one."""

from __future__ import annotations

import json

import boto3

from switchboard.services import services
from switchboard.storage import keys
from switchboard.storage.history import HistoryStore
from tests.support.contacts import contact_of_sender, search, sessions_of, whatsapp_message


def _store_media(message: dict, key: str) -> None:
    """The media step's result: the file in S3, its key on the message."""
    bucket = services().settings.media_bucket_name
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=b"jpeg")
    services().table.update({"pk": message["pk"], "sk": message["sk"]}, "SET media = :m",
                            {":m": {"status": "available", "s3_key": key}})


def _objects() -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=services().settings.media_bucket_name)
    return [o["Key"] for o in listing.get("Contents", [])]


def test_anonymising_removes_identifiers_and_names_from_the_contact_and_its_messages(
        api, demo, process_inbound, operator_token, admin_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777555666", name="Věra Malá",
                     body="I am Věra Malá, call me at 420777555666")
    cid = contact_of_sender("420777555666")
    api.call("PATCH", f"/contacts/{cid}", {"emails": ["vera@example.com"]}, token=operator_token)
    session = sessions_of(api, operator_token, cid)[0]
    message = services().contacts.session_messages("demo", session["session_id"])[0]
    _store_media(message, f"demo/media/{message['message_id']}/photo.jpg")

    status, contact = api.call("POST", f"/contacts/{cid}/anonymize", token=admin_token)

    assert status == 200, contact
    assert contact["name"] == "Anonymous" and contact["phones"] == contact["emails"] == contact["identities"] == []
    assert contact["anonymized_at"]
    stored = services().contacts.session_messages("demo", session["session_id"])[0]
    assert "Věra" not in stored["text"] and "420777555666" not in stored["text"] and "raw" not in stored
    assert "media" not in stored and _objects() == []
    assert "420777555666" not in json.dumps(api.call("GET", f"/sessions/{session['session_id']}",
                                                     token=operator_token)[1])
    assert search(api, operator_token, "?q=vera") == []
    assert services().table.get(keys.identifier("demo", "wa", "420777555666")) is None
    audit = HistoryStore(services().table).audit_log("demo")
    assert [(a["action"], a["contact_id"], a["by"]) for a in audit] == [("anonymize", cid, "demo-admin")]

    whatsapp_message(api, process_inbound, sender="420777555666", body="hello again")
    assert contact_of_sender("420777555666") != cid


def test_erasing_removes_the_contact_and_its_conversations(api, demo, process_inbound, operator_token,
                                                         admin_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777555666", name="Věra Malá", body="erase me")
    cid = contact_of_sender("420777555666")
    session = sessions_of(api, operator_token, cid)[0]
    message = services().contacts.session_messages("demo", session["session_id"])[0]
    _store_media(message, f"demo/media/{message['message_id']}/photo.jpg")

    status, _ = api.call("DELETE", f"/contacts/{cid}", token=admin_token)

    assert status == 204
    assert api.call("GET", f"/contacts/{cid}", token=operator_token)[0] == 404
    assert api.call("GET", f"/sessions/{session['session_id']}", token=operator_token)[0] == 404
    assert services().contacts.session_partition_items("demo", session["session_id"]) == []
    assert services().table.get(keys.identifier("demo", "wa", "420777555666")) is None
    assert services().table.get(keys.thread("demo", "wa-demo", "420777555666")) is None
    assert services().table.get(keys.provider_id("demo", message["provider_message_id"])) is None
    assert search(api, operator_token, "?q=vera") == [] and _objects() == []
    audit = HistoryStore(services().table).audit_log("demo")
    assert [(a["action"], a["contact_id"]) for a in audit] == [("erase", cid)]
    assert "Věra" not in json.dumps(audit, default=str)
    assert api.call("DELETE", f"/contacts/{cid}", token=admin_token)[0] == 404
