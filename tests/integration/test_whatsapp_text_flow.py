"""A customer's WhatsApp text arrives as a signed webhook, becomes a contact, a session and a stored
message, and an operator reads it through the API."""

from __future__ import annotations

import threading
from unittest import mock

import boto3
import pytest

from switchboard.clients import sqs as sqs_client
from switchboard.services import services
from switchboard.storage import keys
from tests.support.whatsapp import envelope, signed, status, text_message


def _queue_depth(aws) -> int:  # noqa: ANN001
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=aws.queue_urls["inbound"], AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_a_text_message_reaches_the_operators_inbox(api, demo, process_inbound, operator_token) -> None:
    raw, headers = signed(envelope([text_message(body="Is it in stock?", wamid="wamid.STOCK")]))

    status_code, body = api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    assert (status_code, body) == (200, {"queued": 1})
    assert process_inbound() == 1

    status_code, page = api.call("GET", "/sessions", token=operator_token)
    assert status_code == 200 and len(page["items"]) == 1
    session = page["items"][0]
    assert session["status"] == "open" and session["unread_count"] == 1 and session["unanswered"] is True
    assert session["last_message"]["text"] == "Is it in stock?"
    assert session["window_expires_at"] > session["last_inbound_at"]

    status_code, messages = api.call("GET", f"/sessions/{session['session_id']}/messages", token=operator_token)
    assert status_code == 200
    assert [(m["direction"], m["kind"], m["text"], m["provider_message_id"]) for m in messages["items"]] == [
        ("in", "text", "Is it in stock?", "wamid.STOCK")]
    contact = services().table.get(keys.contact("demo", session["contact_id"]))
    assert contact["name"] == "Sheena Nelson" and contact["phones"] == ["+16505551234"]


def test_the_same_webhook_posted_twice_stores_one_message(api, demo, process_inbound, operator_token) -> None:
    raw, headers = signed(envelope([text_message(wamid="wamid.TWICE")]))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()

    page = api.call("GET", "/sessions", token=operator_token)[1]
    assert len(page["items"]) == 1 and page["items"][0]["unread_count"] == 1
    messages = api.call("GET", f"/sessions/{page['items'][0]['session_id']}/messages", token=operator_token)[1]
    assert len(messages["items"]) == 1


def test_a_redelivered_queue_event_stores_nothing_new(api, demo, aws, process_inbound, operator_token) -> None:
    """Past the FIFO queue's five-minute deduplication window, the store's conditions still hold."""
    raw, headers = signed(envelope([text_message(wamid="wamid.LATE")]))
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    process_inbound()
    boto3.client("sqs").purge_queue(QueueUrl=aws.queue_urls["inbound"])
    from switchboard.domain.inbound_queue import WhatsAppEvent

    event = WhatsAppEvent(kind="message", tenant_id="demo", channel_id="wa-demo", event_id="wamid.LATE",
                        group="wa-demo:16505551234", field="messages", waba_id="w",
                        payload=text_message(wamid="wamid.LATE")["message"])
    boto3.client("sqs").send_message(QueueUrl=aws.queue_urls["inbound"], MessageBody=event.model_dump_json(),
                                     MessageGroupId=event.group, MessageDeduplicationId="another-id")
    assert process_inbound() == 1
    session = api.call("GET", "/sessions", token=operator_token)[1]["items"][0]
    assert session["unread_count"] == 1


@pytest.mark.parametrize("header, expected", [(None, 401), ("sha256=" + "0" * 64, 403), ("garbage", 403)])
def test_a_missing_or_wrong_signature_stores_nothing(api, demo, aws, header, expected) -> None:
    raw, headers = signed(envelope([text_message()]))
    if header is None:
        del headers["X-Hub-Signature-256"]
    else:
        headers["X-Hub-Signature-256"] = header
    status_code, body = api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    assert status_code == expected and body["code"] == "bad_signature"
    assert _queue_depth(aws) == 0


def test_a_body_signed_with_another_apps_secret_is_refused(api, demo, aws) -> None:
    raw, headers = signed(envelope([text_message()]), secret="someone-elses-secret")
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 403
    assert _queue_depth(aws) == 0


def test_header_names_are_case_insensitive_and_base64_bodies_are_decoded(api, demo, aws) -> None:
    raw, headers = signed(envelope([text_message()]))
    lower = {name.lower(): value for name, value in headers.items()}
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=lower)[0] == 200
    # API Gateway base64-encodes bodies of binary media types; the signature is over the decoded bytes.
    headers["Content-Type"] = "application/octet-stream"
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200


@pytest.mark.parametrize("body", [b"not json at all", b'{"object": "instagram", "entry": [{"id": "1"}]}',
                                  b'{"object": "whatsapp_business_account"}'])
def test_a_body_that_is_not_a_whatsapp_envelope_gets_400(api, demo, aws, body) -> None:
    raw, headers = signed(body)
    status_code, reply = api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    assert status_code == 400 and reply["code"] == "validation_error" and reply["field"]
    assert _queue_depth(aws) == 0


def test_an_update_for_a_number_we_do_not_serve_is_refused(api, demo, aws) -> None:
    raw, headers = signed(envelope([text_message()], phone_number_id="999", waba_id="888"))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 403
    assert _queue_depth(aws) == 0


def test_when_queueing_fails_meta_gets_a_5xx_to_retry(api, demo, aws) -> None:
    class Broken:
        def send_message_batch(self, **_: object) -> dict:
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url="https://sqs")

    raw, headers = signed(envelope([text_message()]))
    real = sqs_client.aws.client
    with mock.patch.object(sqs_client.aws, "client", lambda service: Broken() if service == "sqs" else real(service)):
        status_code, body = api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    assert status_code == 503 and body["code"] == "queue_unavailable"


def test_the_verification_handshake(api, demo) -> None:
    ok = api.call("GET", "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=demo-verify-token"
                         "&hub.challenge=1158201444")
    assert ok == (200, b"1158201444")
    assert api.call("GET", "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")[0] == 403


def test_another_tenant_sees_none_of_it(api, demo, process_inbound) -> None:
    from infra.local import tokens

    raw, headers = signed(envelope([text_message()]))
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    process_inbound()
    own = api.call("GET", "/sessions", token=tokens.issue("demo"))[1]["items"]
    other = tokens.issue("acme")
    assert api.call("GET", "/sessions", token=other) == (200, {"items": [], "next_cursor": None})
    assert api.call("GET", f"/sessions/{own[0]['session_id']}", token=other)[0] == 404
    assert api.call("GET", f"/sessions/{own[0]['session_id']}/messages", token=other)[0] == 404


def test_operator_routes_need_a_valid_token(api, demo) -> None:
    from infra.local import tokens

    assert api.call("GET", "/sessions")[0] == 401
    assert api.call("GET", "/sessions", token="not.a.jwt")[0] == 401
    assert api.call("GET", "/sessions", token=tokens.issue("demo", ttl_seconds=-60))[0] == 401
    assert api.call("GET", "/sessions", token=tokens.issue("demo", key="forged-key"))[0] == 401


def test_sessions_page_latest_activity_first(api, demo, process_inbound, operator_token) -> None:
    for i in range(5):
        raw, headers = signed(envelope([text_message(sender=f"4207770000{i:02d}", body=f"m{i}")]))
        api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
        process_inbound()
    first = api.call("GET", "/sessions?limit=2", token=operator_token)[1]
    second = api.call("GET", f"/sessions?limit=2&cursor={first['next_cursor']}", token=operator_token)[1]
    third = api.call("GET", f"/sessions?limit=2&cursor={second['next_cursor']}", token=operator_token)[1]
    texts = [s["last_message"]["text"] for page in (first, second, third) for s in page["items"]]
    assert texts == ["m4", "m3", "m2", "m1", "m0"]
    assert api.call("GET", "/sessions?cursor=bogus", token=operator_token)[0] == 422


def test_twenty_simultaneous_first_messages_make_one_contact_and_one_session(
        api, demo, process_inbound, operator_token) -> None:
    from switchboard.inbound.processing import process_event
    from switchboard.domain.inbound_queue import WhatsAppEvent

    events = [WhatsAppEvent(kind="message", tenant_id="demo", channel_id="wa-demo", event_id=f"wamid.SIM{i}",
                          group="wa-demo:420777999000", field="messages", waba_id="w",
                          payload=text_message(sender="420777999000", wamid=f"wamid.SIM{i}")["message"],
                          contact={"wa_id": "420777999000", "profile": {"name": "Racer"}}) for i in range(20)]
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def deliver(event: WhatsAppEvent) -> None:
        barrier.wait()
        try:
            process_event(event, services())
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    sessions = api.call("GET", "/sessions", token=operator_token)[1]["items"]
    assert len(sessions) == 1
    messages = api.call("GET", f"/sessions/{sessions[0]['session_id']}/messages?limit=100",
                        token=operator_token)[1]["items"]
    assert len(messages) == 20 and sessions[0]["unread_count"] == 20
    stored = [services().table.get({"pk": f"T#demo#S#{sessions[0]['session_id']}", "sk": f"M#{m['sent_at']}#{m['message_id']}"})
              for m in messages]
    assert {item["contact_id"] for item in stored} == {sessions[0]["contact_id"]}
    owner = services().table.get(keys.identifier("demo", "wa", "420777999000"))
    assert owner["contact_id"] == sessions[0]["contact_id"]


def test_statuses_move_forward_only_and_wait_for_their_message(api, demo, process_inbound) -> None:
    from switchboard.inbound.statuses import apply_parked

    store = services().statuses
    raw, headers = signed(envelope(statuses=[status("wamid.OUT1", "read", timestamp=300),
                                             status("wamid.OUT1", "delivered", timestamp=200)]))
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    process_inbound()
    assert len(store.parked("demo", "wamid.OUT1")) == 2
    # The outbound message is stored afterwards (as the send worker does), then parked statuses apply.
    table = services().table
    table.put({"pk": "T#demo#S#S1", "sk": "M#2026#X", "message_id": "X", "status": "sent", "status_rank": 1,
               "statuses": {"sent": "t0"}})
    table.put({**keys.provider_id("demo", "wamid.OUT1"), "message_pk": "T#demo#S#S1", "message_sk": "M#2026#X",
               "session_id": "S1"})
    apply_parked("demo", "wamid.OUT1", store)
    message = table.get({"pk": "T#demo#S#S1", "sk": "M#2026#X"})
    assert message["status"] == "read" and set(message["statuses"]) == {"sent", "delivered", "read"}
    assert store.parked("demo", "wamid.OUT1") == []
