"""A customer's photo is fetched from the Graph API with the channel's token, checked against Meta's
sha256 and kept in S3 under the tenant; a failed download shows as failed, is retried through the queue
and succeeds later; operators get a short-lived download link."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import boto3
import pytest
import responses
from switchboard.services import services

from tests.support.inbound import all_messages, fixture, post, seed_fixture_channels

GRAPH = "https://graph.facebook.com/v25.0"
FILE_URL = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=65463453"
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


@pytest.fixture
def graph() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _media_lookup(sha256: str) -> dict:
    return {"messaging_product": "whatsapp", "url": FILE_URL, "mime_type": "image/png", "sha256": sha256,
            "file_size": len(PHOTO), "id": "65463453"}


def _image(sha256_b64: str | None = None) -> dict:
    """The fixture's image message, carrying the sha256 Meta computed (of PHOTO unless told otherwise)."""
    body = fixture("message", "image")
    image = body["entry"][0]["changes"][0]["value"]["messages"][0]["image"]
    image["sha256"] = sha256_b64 or base64.b64encode(hashlib.sha256(PHOTO).digest()).decode()
    return body


def _photo_message(api, operator_token) -> dict:
    return next(m for m in all_messages(api, operator_token) if m["kind"] == "image")


def test_a_photo_is_stored_in_s3_and_offered_as_a_short_lived_link(
        api, demo, aws, graph, process_inbound, operator_token) -> None:
    seed_fixture_channels()
    graph.add(responses.GET, f"{GRAPH}/65463453", json=_media_lookup(hashlib.sha256(PHOTO).hexdigest()))
    graph.add(responses.GET, FILE_URL, body=PHOTO, content_type="image/png")

    assert post(api, _image())[0] == 200
    process_inbound()

    message = _photo_message(api, operator_token)
    media = message["media"]
    assert media["status"] == "available" and media["size"] == len(PHOTO)
    assert media["sha256_hex"] == hashlib.sha256(PHOTO).hexdigest()
    assert all(call.request.headers["Authorization"] == "Bearer demo-access-token" for call in graph.calls)
    bucket = services().settings.media_bucket_name
    link = urlparse(media["download_url"])
    key = link.path.lstrip("/").removeprefix(f"{bucket}/")  # virtual-hosted or path-style
    assert key.startswith(f"demo/media/{message['message_id']}/") and "Signature" in link.query
    assert "Expires=" in link.query
    stored = boto3.client("s3").get_object(Bucket=bucket, Key=key)
    assert stored["Body"].read() == PHOTO and stored["ContentType"] == "image/png"


def test_a_failed_download_shows_failed_and_is_retried_until_it_succeeds(
        api, demo, aws, graph, process_inbound, operator_token) -> None:
    seed_fixture_channels()
    lookup = graph.add(responses.GET, f"{GRAPH}/65463453", status=503,
                       json={"error": {"code": 2, "message": "Service temporarily unavailable"}})
    post(api, _image())
    process_inbound()
    media = _photo_message(api, operator_token)["media"]
    assert (media["status"], media["attempts"], media["download_url"]) == ("failed", 1, None)
    assert "temporarily unavailable" in media["error"]

    graph.remove(lookup)
    graph.add(responses.GET, f"{GRAPH}/65463453", json=_media_lookup(hashlib.sha256(PHOTO).hexdigest()))
    graph.add(responses.GET, FILE_URL, body=PHOTO, content_type="image/png")
    time.sleep(2.2)  # the queue's (local) visibility timeout: the job comes back
    process_inbound()
    media = _photo_message(api, operator_token)["media"]
    assert media["status"] == "available" and media["download_url"] and media["error"] is None


def test_a_file_that_does_not_match_metas_sha256_is_not_kept(
        api, demo, aws, graph, process_inbound, operator_token) -> None:
    seed_fixture_channels()
    graph.add(responses.GET, f"{GRAPH}/65463453", json=_media_lookup(hashlib.sha256(b"other").hexdigest()))
    graph.add(responses.GET, FILE_URL, body=PHOTO, content_type="image/png")
    post(api, _image())
    process_inbound()
    media = _photo_message(api, operator_token)["media"]
    assert media["status"] == "failed" and "sha256" in media["error"]
    listed = boto3.client("s3").list_objects_v2(Bucket=services().settings.media_bucket_name)
    assert listed.get("KeyCount", 0) == 0


def test_a_file_that_does_not_match_the_webhooks_sha256_is_failed_and_retried(
        api, demo, aws, graph, process_inbound, operator_token) -> None:
    seed_fixture_channels()
    # the lookup vouches for what it serves, but the webhook named other bytes
    graph.add(responses.GET, f"{GRAPH}/65463453", json=_media_lookup(hashlib.sha256(b"tampered").hexdigest()))
    served = graph.add(responses.GET, FILE_URL, body=b"tampered", content_type="image/png")
    post(api, _image())
    process_inbound()
    media = _photo_message(api, operator_token)["media"]
    assert media["status"] == "failed"
    assert "sha256" in media["error"]

    graph.remove(served)
    graph.replace(responses.GET, f"{GRAPH}/65463453", json=_media_lookup(hashlib.sha256(PHOTO).hexdigest()))
    graph.add(responses.GET, FILE_URL, body=PHOTO, content_type="image/png")
    time.sleep(2.2)  # the queue's (local) visibility timeout: the job comes back
    process_inbound()
    assert _photo_message(api, operator_token)["media"]["status"] == "available"
