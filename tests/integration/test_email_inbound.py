"""Mail arrives through Mailgun's raw-MIME route: the signature, the timestamp and the token are checked,
the raw message is kept in S3, and contact_resolution turns it into a contact, a session and a stored
message with its subject, addresses, bodies and attachments. Nothing a customer's mail client can send
makes the webhook or the worker fail."""

from __future__ import annotations

import boto3

from switchboard import clock
from switchboard.storage.email import EmailStore
from switchboard.services import services
from switchboard.storage import keys
from tests.support.email import (
    DEMO_MAILBOX,
    fixture,
    mail,
    mailgun_post,
    multipart_form,
    signed_fields,
    urlencoded_form,
)

WEBHOOK = "/webhooks/email/mail-demo"
CORPUS = ["alternative_utf8.eml", "attachment_pdf.eml", "inline_image.eml", "iso_8859_2.eml", "windows_1250.eml",
          "koi8_r.eml", "malformed_headers.eml"]


def _post(api, raw: bytes | None, **kwargs) -> tuple[int, dict]:  # noqa: ANN001
    body, headers = mailgun_post(raw, **kwargs)
    return api.call("POST", WEBHOOK, body, headers=headers)


def _queue_depth(aws) -> int:  # noqa: ANN001
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=aws.queue_urls["inbound"], AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def _only_session(api, token: str) -> tuple[dict, list[dict]]:  # noqa: ANN001
    page = api.call("GET", "/sessions?channel_id=mail-demo", token=token)[1]
    assert len(page["items"]) == 1, page
    session = page["items"][0]
    return session, api.call("GET", f"/sessions/{session['session_id']}/messages", token=token)[1]["items"]


def test_a_customers_mail_becomes_a_session_with_its_fields(api, demo, process_inbound, operator_token) -> None:
    status, body = _post(api, fixture("attachment_pdf.eml"))
    assert (status, body) == (200, {"queued": 1})
    assert process_inbound() == 1

    session, messages = _only_session(api, operator_token)
    assert (session["status"], session["address"], session["unread_count"], session["unanswered"]) == (
        "open", "petr.svoboda@example.com", 1, True)
    assert session["subject"] == "Invoice for October"
    (message,) = messages
    assert (message["direction"], message["kind"], message["text"]) == ("in", "email",
                                                                        "Please find the invoice attached.")
    email = message["email"]
    assert email["subject"] == "Invoice for October"
    assert email["from"] == [{"name": "Petr Svoboda", "address": "petr.svoboda@example.com"}]
    assert email["cc"] == [{"name": "Accounts", "address": "accounts@example.com"}]
    assert email["message_id"] == "20261104140327.4471@example.com"
    (attachment,) = email["attachments"]
    assert (attachment["filename"], attachment["content_type"], attachment["size"]) == (
        "Faktura říjen.pdf", "application/pdf", 45)
    s3 = boto3.client("s3")
    bucket = services().settings.media_bucket_name
    stored = s3.get_object(Bucket=bucket, Key=attachment["key"])["Body"].read()
    assert stored.startswith(b"%PDF") and attachment["key"].startswith("demo/email/attachments/")
    raw = s3.get_object(Bucket=bucket, Key=email["raw_key"])["Body"].read()
    assert raw == fixture("attachment_pdf.eml") and email["raw_key"].startswith("demo/email/raw/")
    contact = services().table.get(keys.contact("demo", session["contact_id"]))
    assert contact["name"] == "Petr Svoboda" and contact["emails"] == ["petr.svoboda@example.com"]


def test_a_varied_corpus_is_stored_with_no_server_error(api, demo, process_inbound, operator_token) -> None:
    for name in CORPUS:
        status, _ = _post(api, fixture(name))
        assert status == 200, name
    assert process_inbound() == len(CORPUS)

    page = api.call("GET", "/sessions?channel_id=mail-demo&limit=50", token=operator_token)[1]
    by_subject = {s["subject"]: s for s in page["items"]}
    assert set(by_subject) == {"Reklamace objednávky č. 2026-0451", "Invoice for October",
                               "Screenshot of the error", "Prosím o fakturu", "Zásilka nedorazila",
                               "Вопрос о доставке", "not valid base64 and ok"}
    koi8 = by_subject["Вопрос о доставке"]
    assert koi8["last_message"]["text"].startswith("Здравствуйте!")
    cp1250 = api.call("GET", f"/sessions/{by_subject['Zásilka nedorazila']['session_id']}/messages",
                      token=operator_token)[1]["items"][0]
    assert "zboží jsem nepřevzal" in cp1250["text"] and "<i>nepřevzal</i>" in cp1250["email"]["html"]
    inline = api.call("GET", f"/sessions/{by_subject['Screenshot of the error']['session_id']}/messages",
                      token=operator_token)[1]["items"][0]
    (image,) = inline["email"]["attachments"]
    assert (image["content_id"], image["inline"]) == ("screenshot.1@icloud.example", True)
    broken = api.call("GET", f"/sessions/{by_subject['not valid base64 and ok']['session_id']}/messages",
                      token=operator_token)[1]["items"][0]
    assert broken["text"] == "Café order is missing the receipt."
    assert "unreadable Date header" in broken["email"]["defects"]


def test_the_same_mail_posted_twice_is_stored_once(api, demo, process_inbound, operator_token) -> None:
    raw = fixture("iso_8859_2.eml")
    assert _post(api, raw)[0] == 200
    process_inbound()
    assert _post(api, raw)[0] == 200  # a new token: Mailgun delivering the same message again
    process_inbound()

    session, messages = _only_session(api, operator_token)
    assert session["unread_count"] == 1 and len(messages) == 1


def test_a_urlencoded_post_is_accepted_too(api, demo, process_inbound, operator_token) -> None:
    body, headers = urlencoded_form(signed_fields(fixture("koi8_r.eml")))

    assert api.call("POST", WEBHOOK, body, headers=headers)[0] == 200
    process_inbound()
    session, messages = _only_session(api, operator_token)
    assert messages[0]["email"]["subject"] == "Вопрос о доставке"


def test_a_missing_wrong_stale_or_replayed_signature_queues_nothing(api, demo, aws) -> None:
    now = int(clock.now().timestamp())
    missing = signed_fields(mail())
    del missing["signature"]
    wrong = {**signed_fields(mail()), "signature": b"0" * 64}
    cases = {
        "no signature": (missing, 401), "wrong signature": (wrong, 403),
        "another key": (signed_fields(mail(), key="someone-elses-key"), 403),
        "stale timestamp": (signed_fields(mail(), timestamp=now - 600), 403),
        "future timestamp": (signed_fields(mail(), timestamp=now + 600), 403),
    }
    for case, (fields, expected) in cases.items():
        body, headers = multipart_form(fields)
        status, reply = api.call("POST", WEBHOOK, body, headers=headers)
        assert (status, reply["code"]) == (expected, "bad_signature"), case
    assert _queue_depth(aws) == 0

    body, headers = mailgun_post(mail(), token="t" * 50)
    assert api.call("POST", WEBHOOK, body, headers=headers)[0] == 200
    status, reply = api.call("POST", WEBHOOK, body, headers=headers)
    assert status == 403 and "replay" in reply["message"]
    assert _queue_depth(aws) == 1


def test_what_we_will_never_accept_is_406_so_mailgun_stops(api, demo, aws, monkeypatch) -> None:
    cases = {"no body-mime": (WEBHOOK, None), "no such mailbox": ("/webhooks/email/nope", mail()),
             "a whatsapp channel": ("/webhooks/email/wa-demo", mail()), "too large": (WEBHOOK, mail(text="x" * 5000))}
    monkeypatch.setattr("switchboard.email.receipt.MAX_MIME_BYTES", 2000)
    for case, (path, raw) in cases.items():
        body, headers = mailgun_post(raw)
        status, reply = api.call("POST", path, body, headers=headers)
        assert (status, reply["code"]) == (406, "not_acceptable"), case
    assert _queue_depth(aws) == 0


def test_mail_that_cannot_be_parsed_is_kept_raw_and_opens_nothing(api, demo, process_inbound,
                                                                    operator_token) -> None:
    assert _post(api, fixture("not_an_email.eml"))[0] == 200
    process_inbound()

    assert api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"] == []
    (record,) = EmailStore(services().table).automated("demo")
    assert record["reason"] == "unparseable"
    raw = boto3.client("s3").get_object(Bucket=services().settings.media_bucket_name,
                                        Key=record["email"]["raw_key"])["Body"].read()
    assert raw == fixture("not_an_email.eml")


def test_auto_replies_and_bounces_are_recorded_but_open_no_session(api, demo, process_inbound,
                                                                   operator_token) -> None:
    for name in ("auto_reply.eml", "precedence_bulk.eml", "bounce_report.eml"):
        assert _post(api, fixture(name))[0] == 200
    assert process_inbound() == 3

    assert api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"] == []
    records = {r["email"]["subject"]: r for r in EmailStore(services().table).automated("demo")}
    assert {subject: r["reason"] for subject, r in records.items()} == {
        "Automatic reply: Your request": "auto_reply", "Our November deals": "auto_reply",
        "Undelivered Mail Returned to Sender": "bounce"}
    assert records["Undelivered Mail Returned to Sender"]["email"]["report"][0]["status"] == "5.1.1"
    assert services().table.get(keys.identifier("demo", "email", "marketa@example.org")) is None


def test_mail_to_the_mailbox_under_another_case_is_not_a_contact_of_its_own(api, demo, process_inbound,
                                                                           operator_token) -> None:
    raw = mail(sender="Bob <bob@example.com>", to="SUPPORT@demo.switchboard.local",
               cc=f"Support copy <{DEMO_MAILBOX.replace('@', '+copy@')}>")

    assert _post(api, raw)[0] == 200
    process_inbound()

    session, _ = _only_session(api, operator_token)
    assert session["address"] == "bob@example.com"
    assert services().table.get(keys.identifier("demo", "email", DEMO_MAILBOX)) is None
