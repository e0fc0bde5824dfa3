"""The demo mailbox over real HTTP, as the README shows it: a raw .eml posted to the Mailgun webhook, the
session in the inbox, an operator's answer sent through the runtime's SES (moto), and the customer's
reply, quoting the id SES gave that answer, in the same session."""

from __future__ import annotations

import json

import pytest

from tests.support.email import DEMO_MAILBOX, fixture, mail, mailgun_post
from tests.support.runtime import api, get, http, idle, token

pytestmark = pytest.mark.e2e


def test_an_email_thread_over_http(runtime: str) -> None:
    admin, operator = token("--role", "admin"), token()
    channels = get(runtime, "/channels", admin)["items"]
    (mailbox,) = [c for c in channels if c["kind"] == "email"]
    assert (mailbox["channel_id"], mailbox["address"]) == ("mail-demo", DEMO_MAILBOX)

    body, headers = mailgun_post(fixture("alternative_utf8.eml"))
    status, reply = http("POST", f"{runtime}/webhooks/email/mail-demo", body, headers)
    assert (status, json.loads(reply)) == (200, {"queued": 1})
    idle(runtime, 30)
    (session,) = get(runtime, "/sessions?channel_id=mail-demo", operator)["items"]
    assert (session["address"], session["subject"]) == ("jana.novakova@example.cz",
                                                        "Reklamace objednávky č. 2026-0451")

    status, sent = api("POST", f"{runtime}/sessions/{session['session_id']}/messages", operator,
                       {"text": "Pošleme novou.", "html": "<p>Pošleme <b>novou</b>.</p>"})
    assert status == 202, sent
    idle(runtime, 30)
    messages = get(runtime, f"/sessions/{session['session_id']}/messages", operator)["items"]
    (answer,) = [m for m in messages if m["direction"] == "out"]
    assert answer["status"] == "sent" and answer["provider_message_id"]
    ses_message_id = next(i for i in answer["email_message_ids"] if i.endswith(".amazonses.com"))

    customer_reply = mail(sender="jana.novakova@example.cz", subject="Re: Reklamace", text="Děkuji!",
                          in_reply_to=ses_message_id, references=["CAK7m2=alt-0001@mail.gmail.com", ses_message_id])
    body, headers = mailgun_post(customer_reply)
    assert http("POST", f"{runtime}/webhooks/email/mail-demo", body, headers)[0] == 200
    idle(runtime, 30)

    sessions = get(runtime, "/sessions?channel_id=mail-demo", operator)["items"]
    assert [s["session_id"] for s in sessions] == [session["session_id"]]
    messages = get(runtime, f"/sessions/{session['session_id']}/messages", operator)["items"]
    assert [(m["direction"], m["text"]) for m in messages][-1] == ("in", "Děkuji!")
    assert [m["direction"] for m in messages] == ["in", "out", "in"]
