"""The inbox rules that one owner per stored entity makes true (issue 14), each through the API: blocks
follow the contact onto every channel, every identifier is searchable however it was added, the session
carries its inbox columns and ticks, and the 24-hour window runs from Meta's timestamp."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from collections.abc import Iterator

import pytest
import responses

from infra.declaration import function
from infra.local import event_rules
from switchboard import clock
from switchboard.services import services
from switchboard.storage import keys
from tests.support.campaigns import create_campaign, fire, phone_of, store_contacts
from tests.support.email import mail, mailgun_post
from tests.support.inbound import FIXTURE_PHONE_NUMBER_ID, post, seed_fixture_channels
from tests.support.outbound import run_send_worker
from tests.support.whatsapp import DEMO_PHONE_NUMBER_ID, envelope, text_message
from tests.support.whatsapp import status as status_of

PHONE = "420777123456"


@pytest.fixture
def channels(demo) -> None:  # noqa: ANN001
    seed_fixture_channels()


@pytest.fixture(autouse=True)
def no_graph() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, re.compile(r"https://graph\.facebook\.com/.*"), status=404, json={})
        yield mock


def _text(sender: str, wamid: str, body: str = "hello", phone_number_id: str = FIXTURE_PHONE_NUMBER_ID,
          at: float | None = None, user_id: str | None = None) -> dict:
    stamp = int(clock.now().timestamp() if at is None else at)
    return envelope([text_message(sender=sender, wamid=wamid, body=body, timestamp=stamp, user_id=user_id)],
                    phone_number_id=phone_number_id)


def _sessions(api, token) -> list[dict]:  # noqa: ANN001
    return api.call("GET", "/sessions?limit=100", token=token)[1]["items"]


def _suppressed(contact_id: str) -> list[str]:
    items = services().table.query(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
        ExpressionAttributeValues={":pk": keys.contact("demo", contact_id)["pk"], ":m": "M#"})["Items"]
    return [i["text"] for i in items if i.get("suppressed")]


# -- blocks follow the contact -----------------------------------------------------------------------

def test_a_blocked_contact_writing_on_a_whatsapp_number_it_never_used_stays_out_of_the_inbox(
        api, channels, process_inbound, operator_token) -> None:
    post(api, _text(PHONE, "wamid.NEW1", "first, on the fixtures number"))
    process_inbound()
    (session,) = _sessions(api, operator_token)
    assert api.call("POST", f"/contacts/{session['contact_id']}/block", {"duration": "forever"},
                    token=operator_token)[0] == 200

    post(api, _text(PHONE, "wamid.NEW2", "spam on the other number", phone_number_id=DEMO_PHONE_NUMBER_ID))
    process_inbound()

    assert [s["session_id"] for s in _sessions(api, operator_token)] == [session["session_id"]]
    assert _suppressed(session["contact_id"]) == ["spam on the other number"]

    # unblocked, the contact reaches the inbox on that number (its pointer's copy of the block follows)
    api.call("DELETE", f"/contacts/{session['contact_id']}/block", token=operator_token)
    post(api, _text(PHONE, "wamid.NEW3", "after the unblock", phone_number_id=DEMO_PHONE_NUMBER_ID))
    process_inbound()
    assert {s["last_message"]["text"] for s in _sessions(api, operator_token)} == {
        "first, on the fixtures number", "after the unblock"}


def test_a_blocked_contacts_first_mail_and_first_whatsapp_message_are_both_suppressed(
        api, channels, process_inbound, operator_token) -> None:
    status, contact = api.call("POST", "/contacts", {"name": "Jana", "phones": [f"+{PHONE}"],
                                                     "emails": ["jana@example.com"]}, token=operator_token)
    assert status == 201
    api.call("POST", f"/contacts/{contact['contact_id']}/block", {"duration": "next_week"}, token=operator_token)

    post(api, _text(PHONE, "wamid.BLK1", "whatsapp while blocked"))
    body, headers = mailgun_post(mail(sender="Jana <jana@example.com>", text="mail while blocked"))
    assert api.call("POST", "/webhooks/email/mail-demo", body, headers=headers)[0] == 200
    process_inbound()

    assert _sessions(api, operator_token) == []
    assert sorted(t.strip() for t in _suppressed(contact["contact_id"])) == ["mail while blocked",
                                                                             "whatsapp while blocked"]


# -- the customer-service window starts when the customer wrote ------------------------------------

def test_a_webhook_redelivered_25_hours_late_leaves_free_text_refused(
        api, channels, process_inbound, operator_token) -> None:
    post(api, _text(PHONE, "wamid.LATE", "written yesterday", at=time.time() - 25 * 3600))
    process_inbound()
    (session,) = _sessions(api, operator_token)

    status, error = api.call("POST", f"/sessions/{session['session_id']}/messages", {"text": "Sorry!"},
                             token=operator_token)

    assert status == 409
    assert error["code"] == "window_closed"

    # a newer message opens the window; the old one redelivered after it does not close it again
    post(api, _text(PHONE, "wamid.FRESH", "written just now"))
    post(api, _text(PHONE, "wamid.OLD", "written yesterday", at=time.time() - 26 * 3600))
    process_inbound()
    shown = api.call("GET", f"/sessions/{session['session_id']}", token=operator_token)[1]
    assert clock.parse_iso(shown["window_expires_at"]) > clock.now() + timedelta(hours=23)


# -- every identifier is searchable however it was added --------------------------------------------

def _found(api, token, q: str) -> list[str]:  # noqa: ANN001
    status, page = api.call("GET", f"/contacts?q={q}", token=token)
    assert status == 200
    return [c["contact_id"] for c in page["items"]]


def test_an_identity_the_inbound_path_adds_to_a_known_contact_is_found_by_search(
        api, channels, process_inbound, operator_token) -> None:
    post(api, _text(PHONE, "wamid.ID1", "first, by number"))
    process_inbound()
    (session,) = _sessions(api, operator_token)

    post(api, _text(PHONE, "wamid.ID2", "now with my business-scoped id", user_id="CZ.1349120865530274"))
    process_inbound()

    assert _found(api, operator_token, "1349120865530274") == [session["contact_id"]]


def test_a_business_scoped_id_an_operator_adds_is_found_by_search(api, demo, operator_token) -> None:
    contact = api.call("POST", "/contacts", {"name": "Petr"}, token=operator_token)[1]
    status, _ = api.call("POST", f"/contacts/{contact['contact_id']}/identifiers",
                         {"kind": "bsuid", "value": "CZ.998877665544"}, token=operator_token)
    assert status in (200, 201)

    assert _found(api, operator_token, "998877665544") == [contact["contact_id"]]


# -- the session carries its inbox columns, ticks included --------------------------------------------

def _session(api, token, session_id: str) -> dict:  # noqa: ANN001
    return next(s for s in _sessions(api, token) if s["session_id"] == session_id)


def test_the_session_list_shows_who_where_who_replied_and_the_last_messages_ticks(
        api, aws, graph, process_inbound, operator_token) -> None:
    post(api, _text(PHONE, "wamid.TICK1", "Do you ship to Brno?", phone_number_id=DEMO_PHONE_NUMBER_ID))
    process_inbound()
    (session,) = _sessions(api, operator_token)
    sid = session["session_id"]
    status, sent = api.call("POST", f"/sessions/{sid}/messages", {"text": "Yes, tomorrow"}, token=operator_token)
    assert status == 202
    run_send_worker(aws.queue_urls["outbound"])
    (ours,) = [m for m in api.call("GET", f"/sessions/{sid}/messages", token=operator_token)[1]["items"]
               if m["direction"] == "out"]

    post(api, envelope(statuses=[status_of(ours["provider_message_id"], "delivered", recipient=PHONE),
                                 status_of(ours["provider_message_id"], "read", recipient=PHONE)]))
    process_inbound()

    shown = _session(api, operator_token, sid)
    assert shown["last_message"]["status"] == "read"
    assert shown["contact_name"] == "Sheena Nelson"
    assert shown["channel_display"] == "15550783881"
    assert shown["last_replied_by"] == ours["by"]

    # once the customer answered, a late status of our message leaves the session's last message alone
    post(api, _text(PHONE, "wamid.TICK2", "Thanks", phone_number_id=DEMO_PHONE_NUMBER_ID))
    process_inbound()
    post(api, envelope(statuses=[status_of(ours["provider_message_id"], "failed", recipient=PHONE, error_code=131026)]))
    process_inbound()
    assert _session(api, operator_token, sid)["last_message"].get("status") is None


def test_the_contact_name_on_sessions_follows_rename_merge_unlink_link_and_anonymisation(
        api, demo, process_inbound, operator_token, admin_token) -> None:
    post(api, _text(PHONE, "wamid.NAME1", "from A", phone_number_id=DEMO_PHONE_NUMBER_ID))
    post(api, _text("420777999888", "wamid.NAME2", "from B", phone_number_id=DEMO_PHONE_NUMBER_ID))
    process_inbound()
    by_text = {s["last_message"]["text"]: s for s in _sessions(api, operator_token)}
    a, b = by_text["from A"], by_text["from B"]

    api.call("PATCH", f"/contacts/{a['contact_id']}", {"name": "Jana Nováková"}, token=operator_token)
    assert _session(api, operator_token, a["session_id"])["contact_name"] == "Jana Nováková"

    status, _ = api.call("POST", f"/contacts/{a['contact_id']}/merge", {"contact_id": b["contact_id"]},
                         token=admin_token)
    assert status == 200
    assert _session(api, operator_token, b["session_id"])["contact_name"] == "Jana Nováková"

    api.call("DELETE", f"/sessions/{b['session_id']}/contact", token=operator_token)
    assert _session(api, operator_token, b["session_id"])["contact_name"] == "+420777999888"

    api.call("PUT", f"/sessions/{b['session_id']}/contact", {"contact_id": a["contact_id"]}, token=operator_token)
    assert _session(api, operator_token, b["session_id"])["contact_name"] == "Jana Nováková"

    api.call("POST", f"/contacts/{a['contact_id']}/anonymize", token=admin_token)
    assert {_session(api, operator_token, s)["contact_name"] for s in (a["session_id"], b["session_id"])} == {
        "Anonymous"}


def test_a_known_contacts_new_session_shows_the_directorys_name(
        api, channels, process_inbound, operator_token) -> None:
    post(api, _text(PHONE, "wamid.DIR1", "first"))
    process_inbound()
    contact_id = _sessions(api, operator_token)[0]["contact_id"]
    api.call("PATCH", f"/contacts/{contact_id}", {"name": "Jana"}, token=operator_token)

    post(api, _text(PHONE, "wamid.DIR2", "on another number", phone_number_id=DEMO_PHONE_NUMBER_ID))
    process_inbound()

    assert {s["contact_name"] for s in _sessions(api, operator_token)} == {"Jana"}


# -- every message we send is on the customer's timeline, a campaign's included -------------------------

def test_a_campaign_message_is_once_on_each_recipients_timeline_and_above_the_reply_it_got(
        api, campaigns, admin_token, operator_token, process_inbound) -> None:
    ids = store_contacts(2)
    rules = event_rules.create_rules(services().settings.need("event_bus_name"))
    cid = create_campaign(api, admin_token, ids)["campaign_id"]
    api.call("POST", f"/campaigns/{cid}/start", token=admin_token)
    api.call("POST", f"/campaigns/{cid}/start", token=admin_token)
    fire(cid)
    fire(cid)  # the schedule's double trigger

    for contact_id in ids:
        timeline = api.call("GET", f"/contacts/{contact_id}/history", token=operator_token)[1]["items"]
        sent = [e for e in timeline if e["kind"] == "message"]
        assert len(sent) == 1
        assert sent[0]["text"].startswith("Hi Customer")

    clock.advance(60)  # a minute later, the customer answers
    post(api, envelope([text_message(sender=phone_of(1).lstrip("+"), body="What is X1?",
                                     timestamp=int(clock.now().timestamp()))]))
    process_inbound()
    event_rules.drain(function("campaign_dispatch"), rules["campaign_dispatch"])
    (session,) = api.call("GET", f"/sessions?contact_id={ids[1]}", token=operator_token)[1]["items"]
    messages = api.call("GET", f"/sessions/{session['session_id']}/messages", token=operator_token)[1]["items"]
    assert [(m["direction"], m["text"].split(",")[0]) for m in messages] == [("out", "Hi Customer 1"),
                                                                             ("in", "What is X1?")]
