"""What an outside security probe broke (issue 21), each reproduced through the API as the probe did it."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.support.whatsapp import DEMO_WABA_ID, envelope, signed, text_message


def _inbound_depth(aws) -> int:  # noqa: ANN001
    import boto3

    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=aws.queue_urls["inbound"], AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


# -- an unknown number is not stored under another channel of the account ---------------------------------
def test_a_number_no_channel_serves_is_refused_even_under_a_known_account(api, demo, aws) -> None:
    raw, headers = signed(envelope([text_message()], phone_number_id="999000111", waba_id=DEMO_WABA_ID))

    status, body = api.call("POST", "/webhooks/whatsapp", raw, headers=headers)

    assert status == 403
    assert body["code"] == "unknown_channel"
    assert _inbound_depth(aws) == 0


def test_a_refused_number_is_shown_to_admins_once(api, demo, aws, admin_token) -> None:
    raw, headers = signed(envelope([text_message()], phone_number_id="999000111", waba_id=DEMO_WABA_ID))
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)  # Meta retries a refused body

    status, page = api.call("GET", "/webhook-errors", token=admin_token)

    assert status == 200
    assert [e["errors"][0]["code"] for e in page["items"]] == ["unknown_channel"]
    assert page["items"][0]["payload"]["phone_number_id"] == "999000111"


def test_a_forged_body_for_an_unknown_number_leaves_nothing_for_admins(api, demo, aws, admin_token) -> None:
    raw, headers = signed(envelope([text_message()], phone_number_id="999000111", waba_id=DEMO_WABA_ID),
                          secret="not-the-app-secret")
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)

    assert api.call("GET", "/webhook-errors", token=admin_token)[1]["items"] == []


def test_an_account_update_without_a_number_still_routes_by_account(api, demo, aws) -> None:
    body = {"object": "whatsapp_business_account", "entry": [{"id": DEMO_WABA_ID, "time": 1749416383, "changes": [
        {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}]}]}
    raw, headers = signed(body)

    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200


# -- email replies: refused at the API, or sent; never accepted and left queued ------------------------------
EMAIL_WEBHOOK = "/webhooks/email/mail-demo"


def _email_session(api, process_inbound, token: str, sender: str = "alice@example.com") -> str:  # noqa: ANN001
    from tests.support.email import mail, mailgun_post

    body, headers = mailgun_post(mail(sender=sender, subject="Broken zipper"))
    assert api.call("POST", EMAIL_WEBHOOK, body, headers=headers)[0] == 200
    process_inbound()
    sessions = api.call("GET", "/sessions?channel_id=mail-demo", token=token)[1]["items"]
    return next(s["session_id"] for s in sessions if s.get("address", sender) == sender)


def _upload(api, session_id: str, token: str, content: bytes = b"%PDF-1.4 label") -> str:  # noqa: ANN001
    import boto3
    from switchboard.services import services

    status, upload = api.call("POST", f"/sessions/{session_id}/attachments",
                              {"filename": "label.pdf", "content_type": "application/pdf", "size": len(content)},
                              token=token)
    assert status == 200, upload
    boto3.client("s3").put_object(Bucket=services().settings.media_bucket_name, Key=upload["key"], Body=content,
                                  ContentType="application/pdf")
    return upload["key"]


def _send_all(aws) -> None:  # noqa: ANN001
    from infra.declaration import function
    from infra.local.triggers import drain

    drain(function("message_send"), aws.queue_urls["outbound"])


def _message(api, session_id: str, message_id: str, token: str) -> dict:  # noqa: ANN001
    items = api.call("GET", f"/sessions/{session_id}/messages", token=token)[1]["items"]
    return next(m for m in items if m["message_id"] == message_id)


@pytest.mark.parametrize("subject", ["Hi\r\nBcc: victim@example.com", "Hi\nthere", "Hi\u2028there",
                                     "Hi\u0085there"])
def test_a_subject_that_breaks_the_header_line_is_422_naming_it(api, demo, aws, process_inbound, operator_token,
                                                                subject) -> None:
    session_id = _email_session(api, process_inbound, operator_token)

    status, body = api.call("POST", f"/sessions/{session_id}/messages", {"text": "Hello", "subject": subject},
                            token=operator_token)

    assert status == 422
    assert "subject" in json.dumps(body["errors"])


def test_an_operators_own_upload_is_attached_and_sent(api, demo, aws, process_inbound, operator_token) -> None:
    session_id = _email_session(api, process_inbound, operator_token)
    key = _upload(api, session_id, operator_token)

    status, accepted = api.call("POST", f"/sessions/{session_id}/messages",
                                {"text": "Here is a label", "attachments": [{"key": key}]}, token=operator_token)
    _send_all(aws)

    assert status == 202
    assert _message(api, session_id, accepted["message_id"], operator_token)["status"] == "sent"


def test_another_sessions_upload_is_refused_naming_the_attachment(api, demo, aws, process_inbound,
                                                                  operator_token) -> None:
    mine = _email_session(api, process_inbound, operator_token, "alice@example.com")
    theirs = _email_session(api, process_inbound, operator_token, "bob@example.com")
    key = _upload(api, theirs, operator_token)

    status, body = api.call("POST", f"/sessions/{mine}/messages",
                            {"text": "Here", "attachments": [{"key": key}]}, token=operator_token)

    assert status == 422
    assert body["field"] == "attachments.0.key"


def test_a_customers_raw_mail_cannot_be_attached(api, demo, aws, process_inbound, operator_token) -> None:
    from switchboard.services import services

    session_id = _email_session(api, process_inbound, operator_token)
    raw_keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(
        Bucket=services().settings.media_bucket_name)["Contents"] if o["Key"].endswith(".eml")]

    status, body = api.call("POST", f"/sessions/{session_id}/messages",
                            {"text": "Here", "attachments": [{"key": raw_keys[0]}]}, token=operator_token)

    assert status == 422
    assert body["field"] == "attachments.0.key"


def test_an_email_whose_record_reaches_the_dlq_is_failed_with_the_reason(api, demo, aws, process_inbound,
                                                                         operator_token) -> None:
    from switchboard.services import services

    session_id = _email_session(api, process_inbound, operator_token)
    key = _upload(api, session_id, operator_token)
    accepted = api.call("POST", f"/sessions/{session_id}/messages",
                        {"text": "Here is a label", "attachments": [{"key": key}]}, token=operator_token)[1]
    # the file disappears after the reply was accepted: every attempt fails on our side
    boto3.client("s3").delete_object(Bucket=services().settings.media_bucket_name, Key=key)
    sqs = boto3.client("sqs")
    sqs.set_queue_attributes(QueueUrl=aws.queue_urls["outbound"], Attributes={"VisibilityTimeout": "0"})

    for _ in range(10):
        _send_all(aws)

    stored = _message(api, session_id, accepted["message_id"], operator_token)
    assert stored["status"] == "failed"
    assert "gave up after 5 attempts" in stored["error"]["title"]
    assert _depth(aws.dlq_urls["outbound"]) == 1


def _depth(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


# -- large events: stored, or refused with 413 before the 200; never accepted and lost ----------------------
def test_a_300_kb_event_is_refused_with_413_and_nothing_queued(api, demo, aws) -> None:
    raw, headers = signed(envelope([text_message(body="x" * 300_000)]))

    status, body = api.call("POST", "/webhooks/whatsapp", raw, headers=headers)

    assert status == 413
    assert body["code"] == "payload_too_large"
    assert _inbound_depth(aws) == 0


def test_a_body_just_under_10_mb_is_413_not_503(api, demo, aws) -> None:
    raw, headers = signed(envelope([text_message(body="x" * (10 * 1024 * 1024 - 2_000))]))

    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 413


def test_an_event_just_under_the_limit_is_stored(api, demo, aws, process_inbound, operator_token) -> None:
    from switchboard.inbound.receipt import MAX_EVENT_BYTES

    raw, headers = signed(envelope([text_message(body="x" * (MAX_EVENT_BYTES - 2_000))]))

    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()
    (session,) = api.call("GET", "/sessions", token=operator_token)[1]["items"]
    (message,) = api.call("GET", f"/sessions/{session['session_id']}/messages", token=operator_token)[1]["items"]
    assert len(message["text"]) == MAX_EVENT_BYTES - 2_000


# -- Mailgun posts are for this mailbox --------------------------------------------------------------------
def test_a_signed_post_addressed_to_another_mailbox_is_406_and_not_stored(api, demo, aws) -> None:
    from tests.support.email import mail, multipart_form, signed_fields

    fields = signed_fields(mail(to="sales@other.example"))
    fields["recipient"] = b"sales@other.example"
    body, headers = multipart_form(fields)

    status, reply = api.call("POST", EMAIL_WEBHOOK, body, headers=headers)

    assert status == 406
    assert _inbound_depth(aws) == 0


def test_a_post_to_a_declared_alias_is_taken(api, demo, aws) -> None:
    from switchboard.domain.channels import Channel
    from switchboard.services import services
    from tests.support.email import mail, multipart_form, signed_fields

    channel = services().channels.get("demo", "mail-demo")
    services().channels.save(Channel.model_validate({**channel.model_dump(), "aliases": ["help@demo.example"]}))
    fields = signed_fields(mail(to="help@demo.example"))
    fields["recipient"] = b"help@demo.example"

    assert api.call("POST", EMAIL_WEBHOOK, *_form(fields))[0] == 200


def test_a_post_without_recipient_is_judged_by_its_to_header(api, demo, aws) -> None:
    from tests.support.email import DEMO_MAILBOX, mail, signed_fields

    ours = signed_fields(mail(to=f"Support <{DEMO_MAILBOX.replace('@', '+S1@')}>"))
    theirs = signed_fields(mail(to="someone@else.example"))
    del ours["recipient"], theirs["recipient"]

    assert api.call("POST", EMAIL_WEBHOOK, *_form(ours))[0] == 200
    assert api.call("POST", EMAIL_WEBHOOK, *_form(theirs))[0] == 406


def _form(fields: dict[str, bytes]) -> tuple[bytes, None, dict[str, str]]:
    from tests.support.email import multipart_form

    body, headers = multipart_form(fields)
    return body, None, headers


# -- the local server ------------------------------------------------------------------------------------
@pytest.fixture
def server(aws):  # noqa: ANN001, ANN201
    import threading

    from infra.local.api_server import Gateway, serve

    running = serve(Gateway(), "127.0.0.1", 0, lambda _line: None)
    threading.Thread(target=running.serve_forever, daemon=True).start()
    yield running.server_address[1]
    running.shutdown()
    running.server_close()


def _raw_request(port: int, head: bytes) -> tuple[int, dict[str, str], bytes]:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(head)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    header_block, _, body = rest.partition(b"\r\n\r\n")
    headers = dict(line.decode().split(": ", 1) for line in header_block.split(b"\r\n") if b": " in line)
    return int(status_line.split()[1]), headers, body


def test_a_negative_content_length_is_400_at_once(server) -> None:
    status, _, body = _raw_request(server, b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\n"
                                           b"Content-Length: -1\r\n\r\n")

    assert status == 400
    assert json.loads(body)["code"] == "bad_request"


def test_headers_over_the_limit_get_our_json_error(server) -> None:
    many = b"".join(b"X-Filler-%d: y\r\n" % i for i in range(150))
    status, headers, body = _raw_request(server, b"GET /sessions HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")

    assert status == 431
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["code"] == "request_header_fields_too_large"


def test_an_access_token_is_refused_as_the_cognito_authorizer_would(api, demo) -> None:
    import jwt

    from infra.local import tokens

    claims = jwt.decode(tokens.issue("demo", "admin"), options={"verify_signature": False})
    access = jwt.encode({**claims, "token_use": "access"}, tokens.signing_key(), algorithm="HS256")

    assert api.call("GET", "/sessions", token=access)[0] == 401


# -- visually identical emails --------------------------------------------------------------------------
@pytest.mark.parametrize("lookalike", ["ａｌｉｃｅ@example.com", "\u0430lice@example.com", "a\ufb00y@example.com"])
def test_a_lookalike_address_is_a_new_contact_flagged_as_a_possible_duplicate(api, demo, operator_token,
                                                                               lookalike) -> None:
    original = "affy@example.com" if "\ufb00" in lookalike else "alice@example.com"
    existing = api.call("POST", "/contacts", {"name": "Alice", "emails": [original]}, token=operator_token)[1]

    status, contact = api.call("POST", "/contacts", {"name": "Alice?", "emails": [lookalike]}, token=operator_token)

    assert status == 201
    stored = api.call("GET", f"/contacts/{contact['contact_id']}", token=operator_token)[1]
    assert stored["possible_duplicate_of"] == existing["contact_id"]


def test_the_plain_address_after_a_lookalike_is_flagged_too(api, demo, operator_token) -> None:
    cyrillic = api.call("POST", "/contacts", {"name": "A", "emails": ["\u0430lice@example.com"]},
                        token=operator_token)[1]

    plain = api.call("POST", "/contacts", {"name": "B", "emails": ["alice@example.com"]}, token=operator_token)[1]

    assert plain["possible_duplicate_of"] == cyrillic["contact_id"]


def test_a_different_address_is_not_flagged(api, demo, operator_token) -> None:
    api.call("POST", "/contacts", {"name": "Alice", "emails": ["alice@example.com"]}, token=operator_token)

    other = api.call("POST", "/contacts", {"name": "Alicia", "emails": ["alicia@example.com"]}, token=operator_token)[1]

    assert other["possible_duplicate_of"] is None


def test_mail_from_a_lookalike_address_creates_a_contact_flagged_as_a_possible_duplicate(
        api, demo, aws, process_inbound, operator_token) -> None:
    from tests.support.email import mail, mailgun_post

    existing = api.call("POST", "/contacts", {"name": "Alice", "emails": ["alice@example.com"]},
                        token=operator_token)[1]
    body, headers = mailgun_post(mail(sender="Alice <\u0430lice@example.com>"))
    api.call("POST", EMAIL_WEBHOOK, body, headers=headers)
    process_inbound()

    (session,) = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"]
    contact = api.call("GET", f"/contacts/{session['contact_id']}", token=operator_token)[1]
    assert contact["possible_duplicate_of"] == existing["contact_id"]


def test_a_whatsapp_send_that_fails_before_the_call_on_every_receive_ends_failed(api, demo, aws,
                                                                                monkeypatch) -> None:
    from botocore.exceptions import ClientError
    from switchboard.storage.outbound import OutboundStore
    from switchboard.services import services
    from tests.support.outbound import run_send_worker, stored_messages

    def throttled(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "UpdateItem")

    monkeypatch.setattr(OutboundStore, "claim", throttled)
    monkeypatch.setattr(OutboundStore, "claim_all", throttled)
    boto3.client("sqs").set_queue_attributes(QueueUrl=aws.queue_urls["outbound"],
                                             Attributes={"VisibilityTimeout": "0"})
    [message], bodies = stored_messages(1)

    run_send_worker(aws.queue_urls["outbound"], backlog=bodies)

    stored = services().table.get({"pk": message["pk"], "sk": message["sk"]})
    assert stored["status"] == "failed"
    assert stored["error"]["code"] == "send_error"
    assert _depth(aws.dlq_urls["outbound"]) == 1
