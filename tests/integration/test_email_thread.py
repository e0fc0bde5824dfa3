"""One email thread from start to end: a customer writes, an operator answers through SES with the
threading headers set, the customer's reply (quoting the id SES gave our answer) lands in the same
session, SES reports a delivery and a bounce, and a hard bounce marks the address on the contact."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from infra.declaration import function
from infra.local.lambdas import invoke
from infra.local.triggers import drain
from switchboard.email.mime import message_ids
from switchboard.services import services
from switchboard.storage import keys
from tests.support.email import DEMO_MAILBOX, fixture, mail, mailgun_post, s3_object_created, ses_event

WEBHOOK = "/webhooks/email/mail-demo"


def _receive(api, raw: bytes, process_inbound) -> None:  # noqa: ANN001
    body, headers = mailgun_post(raw)
    assert api.call("POST", WEBHOOK, body, headers=headers)[0] == 200
    assert process_inbound() == 1


def _sent_by_ses() -> list:
    return ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sent_messages


def _messages(api, session_id: str, token: str) -> list[dict]:  # noqa: ANN001
    return api.call("GET", f"/sessions/{session_id}/messages", token=token)[1]["items"]


def _reply(api, aws, session_id: str, token: str, **body) -> dict:  # noqa: ANN001, ANN003
    status, message = api.call("POST", f"/sessions/{session_id}/messages", body, token=token)
    assert status == 202, message
    drain(function("message_send"), aws.queue_urls["outbound"])
    (stored,) = [m for m in _messages(api, session_id, token) if m["message_id"] == message["message_id"]]
    return stored


def test_a_thread_from_first_mail_to_bounce(api, aws, demo, process_inbound, operator_token) -> None:
    # Given a customer's first mail
    _receive(api, mail(sender="Alice Customer <alice@example.com>", subject="Broken zipper",
                       text="The zipper broke after a day.", message_id="first.1@example.com"), process_inbound)
    (session,) = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"]
    session_id = session["session_id"]

    # When an operator answers, with HTML and an attachment
    upload = api.call("POST", f"/sessions/{session_id}/attachments", {"filename": "label.pdf",
                      "content_type": "application/pdf", "size": 14}, token=operator_token)[1]
    s3 = boto3.client("s3")
    s3.put_object(Bucket=services().settings.media_bucket_name, Key=upload["key"], Body=b"%PDF-1.4 label")
    sent = _reply(api, aws, session_id, operator_token, text="Sorry! Here is a return label.",
                  html="<p>Sorry! Here is a <b>return label</b>.</p>",
                  attachments=[{"key": upload["key"], "filename": "label.pdf"}])

    # Then SES sent it with the thread's headers, and the message records SES's id
    assert sent["status"] == "sent", sent
    ses_id = sent["provider_message_id"]
    (raw,) = [m.raw_data for m in _sent_by_ses()]
    wire = BytesParser(policy=policy.default).parsebytes(raw.encode() if isinstance(raw, str) else raw)
    assert wire["Subject"] == "Re: Broken zipper"
    assert wire["To"] == "alice@example.com" and DEMO_MAILBOX in wire["From"]
    assert message_ids(wire["In-Reply-To"]) == ["first.1@example.com"]
    assert message_ids(wire["References"]) == ["first.1@example.com"]
    assert wire["Reply-To"] == f"support+{session_id}@demo.switchboard.local"
    assert wire.get_body(("plain",)).get_content().strip() == "Sorry! Here is a return label."
    assert "<b>return label</b>" in wire.get_body(("html",)).get_content()
    (label,) = list(wire.iter_attachments())
    assert (label.get_filename(), label.get_content()) == ("label.pdf", b"%PDF-1.4 label")
    assert f"{ses_id}@eu-west-1.amazonses.com" in sent["email_message_ids"]

    # When the customer replies quoting only the id SES gave our answer (as iOS Mail does)
    _receive(api, mail(sender="alice@example.com", subject="Re: Broken zipper", text="Thanks, printed it.",
                       in_reply_to=f"{ses_id}@eu-west-1.amazonses.com",
                       references=[f"{ses_id}@eu-west-1.amazonses.com"]), process_inbound)

    # Then it is in the same session, which waits for an answer again
    sessions = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"]
    assert [s["session_id"] for s in sessions] == [session_id]
    assert sessions[0]["unanswered"] is True and sessions[0]["last_message"]["text"] == "Thanks, printed it."
    assert [m["direction"] for m in _messages(api, session_id, operator_token)] == ["in", "out", "in"]

    # When SES reports the delivery, then a hard bounce of the same message
    for detail_type in ("Email Delivered", "Email Bounced"):
        reply = invoke(function("webhook_receipt"), ses_event(detail_type, ses_id))
        assert reply == {"queued": 1}
    process_inbound()

    # Then the message is failed with the bounce's reason, and the address is marked on the contact
    (ours,) = [m for m in _messages(api, session_id, operator_token) if m["direction"] == "out"]
    assert ours["status"] == "failed" and set(ours["statuses"]) >= {"delivered", "failed"}
    assert ours["error"]["code"] == "bounce:Permanent:General"
    assert "550 5.1.1 user unknown" in ours["error"]["details"]
    contact = services().table.get(keys.contact("demo", sessions[0]["contact_id"]))
    assert contact["email_status"]["alice@example.com"]["status"] == "bounced"


def test_a_reply_finds_its_session_by_references_or_our_reply_address(api, aws, demo, process_inbound,
                                                                      operator_token) -> None:
    _receive(api, mail(sender="bob@example.com", subject="Invoice", message_id="root.7@example.com"),
             process_inbound)
    (session,) = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"]
    session_id = session["session_id"]

    # a reply whose References name the thread's first message, deep in the chain
    _receive(api, mail(sender="bob@example.com", subject="Re: Invoice", text="second",
                       references=["root.7@example.com", "unknown.1@example.com"]), process_inbound)
    # a reply from a client that drops every threading header, sent to our reply address
    _receive(api, mail(sender="bob@example.com", to=f"support+{session_id}@demo.switchboard.local",
                       subject="about the invoice", text="third"), process_inbound)
    # a new subject with no reference starts a thread of its own
    _receive(api, mail(sender="bob@example.com", subject="Another question", text="fourth"), process_inbound)

    sessions = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"]
    assert len(sessions) == 2 and {s["contact_id"] for s in sessions} == {session["contact_id"]}
    assert [m["text"] for m in _messages(api, session_id, operator_token)] == [
        "Hello, where is my order?", "second", "third"]


def test_a_reply_to_a_resolved_session_reopens_it(api, aws, demo, process_inbound, operator_token) -> None:
    _receive(api, mail(sender="carol@example.com", message_id="c.1@example.com"), process_inbound)
    (session,) = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"]
    services().table.update(keys.session("demo", session["session_id"]),
                            "SET #s = :r, resolved_at = :at", {":r": "resolved", ":at": session["created_at"]},
                            {"#s": "status"})

    _receive(api, mail(sender="carol@example.com", text="One more thing", in_reply_to="c.1@example.com"),
             process_inbound)

    reopened = api.call("GET", f"/sessions/{session['session_id']}", token=operator_token)[1]
    assert reopened["status"] == "open" and reopened["reopened_at"] and reopened["unread_count"] == 2


def test_an_auto_reply_in_a_thread_is_kept_on_its_session_without_asking_for_an_answer(
        api, aws, demo, process_inbound, operator_token) -> None:
    _receive(api, mail(sender="dave@example.com", message_id="d.1@example.com"), process_inbound)
    (session,) = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"]
    api.call("POST", f"/sessions/{session['session_id']}/read", token=operator_token)
    before = api.call("GET", f"/sessions/{session['session_id']}", token=operator_token)[1]

    _receive(api, mail(sender="dave@example.com", subject="Out of office", text="Back on Monday",
                       in_reply_to="d.1@example.com", headers={"Auto-Submitted": "auto-replied"}), process_inbound)

    after = api.call("GET", f"/sessions/{session['session_id']}", token=operator_token)[1]
    assert (after["unread_count"], after["last_message"]) == (before["unread_count"], before["last_message"])
    kinds = [(m["kind"], m["direction"]) for m in _messages(api, session["session_id"], operator_token)]
    assert kinds == [("email", "in"), ("system", "in")]


def test_mail_an_ses_receipt_rule_stored_takes_the_same_path(api, aws, demo, process_inbound,
                                                            operator_token) -> None:
    bucket = services().settings.media_bucket_name
    raw = mail(sender="Erin <erin@example.com>", subject="Large attachment", text="see attached")
    key = "email-in/demo/mail-demo/0102018fabcdef"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=raw)

    assert invoke(function("webhook_receipt"), s3_object_created(bucket, key, len(raw))) == {"queued": 1}
    assert invoke(function("webhook_receipt"), s3_object_created(bucket, "demo/uploads/x.png", 3)) == {"queued": 0}
    assert invoke(function("webhook_receipt"), s3_object_created(bucket, "email-in/other/mail-demo/1", 3)) == {
        "queued": 0}
    process_inbound()

    (session,) = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"]
    assert (session["address"], session["subject"]) == ("erin@example.com", "Large attachment")
    (message,) = _messages(api, session["session_id"], operator_token)
    assert message["email"]["raw_key"] == key


def test_a_bounce_that_arrives_as_mail_fails_our_message_and_stays_out_of_the_inbox(
        api, aws, demo, process_inbound, operator_token) -> None:
    _receive(api, mail(sender="frank@example.com", message_id="f.1@example.com"), process_inbound)
    (session,) = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"]
    sent = _reply(api, aws, session["session_id"], operator_token, text="On its way.")
    api.call("POST", f"/sessions/{session['session_id']}/read", token=operator_token)
    quoted = f"{sent['provider_message_id']}@eu-west-1.amazonses.com"
    report = fixture("bounce_report.eml").replace(
        b"0102018f-bounced-original-000000@eu-west-1.amazonses.com", quoted.encode())

    _receive(api, report, process_inbound)

    messages = _messages(api, session["session_id"], operator_token)
    (ours,) = [m for m in messages if m["direction"] == "out"]
    assert ours["status"] == "failed" and "User unknown" in ours["error"]["details"]
    assert messages[-1]["kind"] == "system"
    after = api.call("GET", f"/sessions/{session['session_id']}", token=operator_token)[1]
    assert after["unread_count"] == 0


def test_mail_from_a_blocked_contact_is_kept_but_reaches_no_inbox(api, aws, demo, process_inbound,
                                                                 operator_token) -> None:
    _receive(api, mail(sender="gary@example.com", message_id="g.1@example.com"), process_inbound)
    (session,) = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"]
    services().table.update(keys.contact("demo", session["contact_id"]), "SET blocked_until = :f",
                            {":f": "forever"})

    _receive(api, mail(sender="gary@example.com", text="again", in_reply_to="g.1@example.com"), process_inbound)
    _receive(api, mail(sender="gary@example.com", subject="new thread", text="and again"), process_inbound)

    sessions = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"]
    assert [(s["session_id"], s["unread_count"]) for s in sessions] == [(session["session_id"], 1)]
    kept = services().table.query(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
        ExpressionAttributeValues={":pk": keys.contact("demo", session["contact_id"])["pk"], ":m": "M#"})["Items"]
    assert sorted(m["text"] for m in kept) == ["again", "and again"] and all(m["suppressed"] for m in kept)
