"""CSAT: an admin switches the survey on per channel; after resolve the customer is asked while they can
be reached (WhatsApp: inside the 24-hour window only); the answer lands on the session, a second answer
replaces the first, and the reports count it once."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from infra.local import tokens
from switchboard import clock
from switchboard.reports import csat
from tests.support.email import mail, mailgun_post
from tests.support.reports import Pipeline
from tests.support.team import customer_writes
from tests.support.whatsapp import envelope, signed

PHONE = "420606000001"


@pytest.fixture
def pipeline(aws, demo, graph):  # noqa: ANN001, ANN201
    return Pipeline(aws)


@pytest.fixture
def admin() -> str:
    return tokens.issue("demo", "admin", "demo-admin")


def _enable(api, admin: str, channel_id: str) -> None:  # noqa: ANN001
    status, body = api.call("PATCH", f"/channels/{channel_id}", {"csat_enabled": True}, token=admin)
    assert status == 200, body


def _only_session(api, admin: str) -> dict:  # noqa: ANN001
    items = api.call("GET", "/sessions?limit=10", token=admin)[1]["items"]
    assert len(items) == 1
    return items[0]


def _messages(api, admin: str, session_id: str) -> list[dict]:  # noqa: ANN001
    return api.call("GET", f"/sessions/{session_id}/messages?limit=100", token=admin)[1]["items"]


def _resolve(api, admin: str, session_id: str) -> None:  # noqa: ANN001
    status, body = api.call("POST", f"/sessions/{session_id}/resolve", {"outcome": "solved"}, token=admin)
    assert status == 200, body


def _list_reply(api, row_id: str) -> None:  # noqa: ANN001
    message = {"contact": {"profile": {"name": "Customer"}, "wa_id": PHONE},
               "message": {"from": PHONE, "id": f"wamid.CSAT{row_id[-8:]}", "timestamp": str(int(clock.now().timestamp())),
                           "type": "interactive",
                           "interactive": {"type": "list_reply", "list_reply": {"id": row_id, "title": "Rated"}}}}
    raw, headers = signed(envelope([message]))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200


def _survey(api, admin: str, session_id: str) -> list[dict]:  # noqa: ANN001
    return [m for m in _messages(api, admin, session_id) if m["direction"] == "out"]


def _whatsapp_resolved(api, pipeline: Pipeline, admin: str) -> dict:  # noqa: ANN001
    _enable(api, admin, "wa-demo")
    pipeline.at(0, 10)
    customer_writes(api, PHONE, text="my order is late")
    pipeline.inbound()
    session = _only_session(api, admin)
    pipeline.at(0, 11)
    _resolve(api, admin, session["session_id"])
    pipeline.settle()
    return session


def test_inside_the_window_the_whatsapp_survey_goes_out_once(api, pipeline: Pipeline, admin: str) -> None:
    session = _whatsapp_resolved(api, pipeline, admin)
    pipeline.consumer("csat_survey")
    survey = _survey(api, admin, session["session_id"])
    assert [(m["kind"], m["status"]) for m in survey] == [("interactive", "sent")]


def _session_of(api, admin: str, phone: str) -> dict:  # noqa: ANN001
    items = api.call("GET", "/sessions?limit=10", token=admin)[1]["items"]
    return next(s for s in items if s["address"].endswith(phone[-6:]))


def test_outside_the_window_the_survey_is_never_sent(api, pipeline: Pipeline, admin: str) -> None:
    _enable(api, admin, "wa-demo")
    pipeline.at(0, 10)
    customer_writes(api, PHONE)  # this customer's window closes at 10:00 tomorrow
    pipeline.at(0, 10, 2)
    customer_writes(api, "420606000002")  # this one's at 10:02
    pipeline.inbound()
    late, inside = _session_of(api, admin, PHONE), _session_of(api, admin, "420606000002")
    pipeline.at(1, 10, 1)  # 24 hours and a minute after the first customer's message
    _resolve(api, admin, late["session_id"])
    _resolve(api, admin, inside["session_id"])
    pipeline.settle()
    assert _survey(api, admin, late["session_id"]) == []
    assert [m["kind"] for m in _survey(api, admin, inside["session_id"])] == ["interactive"]


def test_only_a_channel_whose_admin_enabled_it_sends_the_survey(api, pipeline: Pipeline, admin: str) -> None:
    customer_writes(api, PHONE)
    customer_writes(api, "420606000002")
    pipeline.inbound()
    before, after = _session_of(api, admin, PHONE), _session_of(api, admin, "420606000002")
    _resolve(api, admin, before["session_id"])
    pipeline.settle()
    _enable(api, admin, "wa-demo")
    _resolve(api, admin, after["session_id"])
    pipeline.settle()
    assert _survey(api, admin, before["session_id"]) == []
    assert len(_survey(api, admin, after["session_id"])) == 1


def test_the_customers_reply_lands_on_the_session(api, pipeline: Pipeline, admin: str) -> None:
    session = _whatsapp_resolved(api, pipeline, admin)
    _list_reply(api, f"csat:{session['session_id']}:4")
    pipeline.settle()
    shown = api.call("GET", f"/sessions/{session['session_id']}", token=admin)[1]
    assert shown["csat"]["rating"] == 4


def test_the_answer_does_not_reopen_the_session_it_rates(api, pipeline: Pipeline, admin: str) -> None:
    session = _whatsapp_resolved(api, pipeline, admin)
    _list_reply(api, f"csat:{session['session_id']}:4")
    pipeline.settle()
    shown = api.call("GET", f"/sessions/{session['session_id']}", token=admin)[1]
    assert shown["status"] == "resolved"


def test_the_answer_is_on_the_rated_sessions_timeline(api, pipeline: Pipeline, admin: str) -> None:
    session = _whatsapp_resolved(api, pipeline, admin)
    _list_reply(api, f"csat:{session['session_id']}:4")
    pipeline.settle()
    assert [m["kind"] for m in _messages(api, admin, session["session_id"]) if m["direction"] == "in"] == [
        "text", "interactive"]


def test_the_answer_counts_no_reopened_session(api, pipeline: Pipeline, admin: str) -> None:
    session = _whatsapp_resolved(api, pipeline, admin)
    _list_reply(api, f"csat:{session['session_id']}:4")
    pipeline.settle()
    day = pipeline.base.date().isoformat()
    rows = api.call("GET", f"/reports/summary?from={day}&to={day}&group_by=channel", token=admin)[1]["rows"]
    assert [(r["key"], r["sessions_reopened"]) for r in rows] == [("wa-demo", 0)]


def test_a_second_answer_replaces_the_first_and_counts_once(api, pipeline: Pipeline, admin: str) -> None:
    session = _whatsapp_resolved(api, pipeline, admin)
    _list_reply(api, f"csat:{session['session_id']}:4")
    pipeline.settle()
    _list_reply(api, f"csat:{session['session_id']}:2")
    pipeline.settle()
    shown = api.call("GET", f"/sessions/{session['session_id']}", token=admin)[1]
    day = pipeline.base.date().isoformat()
    rows = api.call("GET", f"/reports/summary?from={day}&to={day}&group_by=channel", token=admin)[1]["rows"]
    assert shown["csat"]["rating"] == 2
    assert [(r["key"], r["csat_count"], r["csat_average"]) for r in rows] == [("wa-demo", 1, 2.0)]


def test_a_reply_naming_another_contacts_session_is_ignored(api, pipeline: Pipeline, admin: str) -> None:
    session = _whatsapp_resolved(api, pipeline, admin)
    customer_writes(api, "420606000002")  # someone else answers with the first customer's row id
    pipeline.inbound()
    message = {"contact": {"profile": {"name": "Other"}, "wa_id": "420606000002"},
               "message": {"from": "420606000002", "id": "wamid.CSATOTHER1",
                           "timestamp": str(int(clock.now().timestamp())), "type": "interactive",
                           "interactive": {"type": "list_reply",
                                           "list_reply": {"id": f"csat:{session['session_id']}:1", "title": "x"}}}}
    raw, headers = signed(envelope([message]))
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    pipeline.settle()
    shown = api.call("GET", f"/sessions/{session['session_id']}", token=admin)[1]
    assert shown["csat"] is None


def _email_survey_links(api, pipeline: Pipeline, admin: str) -> tuple[dict, dict[int, str]]:  # noqa: ANN001
    _enable(api, admin, "mail-demo")
    body, headers = mailgun_post(mail())
    assert api.call("POST", "/webhooks/email/mail-demo", body, headers=headers)[0] == 200
    pipeline.inbound()
    session = _only_session(api, admin)
    _resolve(api, admin, session["session_id"])
    pipeline.settle()
    (survey,) = _survey(api, admin, session["session_id"])
    links = {int(rating): url for rating, url in re.findall(r"^(\d) - [^:]+: (\S+)$", survey["text"], re.M)}
    return session, links


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_the_email_links_record_the_rating_and_a_second_click_updates_it(api, pipeline: Pipeline,
                                                                          admin: str) -> None:
    session, links = _email_survey_links(api, pipeline, admin)
    first = api.call("GET", _path(links[5]))
    second = api.call("GET", _path(links[2]) + "&comment=slow%20reply")
    shown = api.call("GET", f"/sessions/{session['session_id']}", token=admin)[1]
    assert sorted(links) == [1, 2, 3, 4, 5]
    assert (first[0], first[1]["rating"]) == (200, 5)
    assert second[0] == 200
    assert (shown["csat"]["rating"], shown["csat"]["comment"]) == (2, "slow reply")


@pytest.mark.parametrize("tamper", ["signature", "session", "garbage"])
def test_a_bad_token_is_a_422_naming_the_token(api, pipeline: Pipeline, admin: str, tamper: str) -> None:
    session, links = _email_survey_links(api, pipeline, admin)
    token = urlsplit(links[4]).path.rsplit("/", 1)[-1]
    body, _, mac = token.partition(".")
    if tamper == "signature":
        token = f"{body}.{mac[:-2]}AA"
    elif tamper == "session":
        token = f"{csat.sign('guessed-key', 'demo', session['session_id'], clock.now())}"
    else:
        token = "not-a-token-at-all"
    status, reply = api.call("GET", f"/csat/{token}?rating=1")
    shown = api.call("GET", f"/sessions/{session['session_id']}", token=admin)[1]
    assert status == 422
    assert "token" in str(reply)
    assert shown["csat"] is None


def test_an_expired_link_records_nothing(api, pipeline: Pipeline, admin: str) -> None:
    _, links = _email_survey_links(api, pipeline, admin)
    clock.advance(csat.LINK_VALIDITY.total_seconds() + 60)
    status, _ = api.call("GET", _path(links[3]))
    assert status == 422


def test_a_link_of_one_tenant_does_not_reach_another(api, pipeline: Pipeline, admin: str) -> None:
    _, links = _email_survey_links(api, pipeline, admin)
    token = urlsplit(links[4]).path.rsplit("/", 1)[-1]
    _, _, mac = token.partition(".")
    claims = csat.claims_of(token)
    forged = csat.sign("k", "other", claims["s"], clock.now()).partition(".")[0] + "." + mac
    status, _ = api.call("GET", f"/csat/{forged}?rating=1")
    assert status == 422


def test_a_plain_message_does_not_invoke_the_survey(api, pipeline: Pipeline, admin: str) -> None:
    # Filtered bus rules (docs/cold-start-and-cost.md): csat_survey's rule lets only survey picks through
    _enable(api, admin, "wa-demo")
    customer_writes(api, PHONE, text="my order is late")
    pipeline.inbound()
    assert pipeline.consumer("csat_survey") == 0


def test_a_survey_pick_invokes_the_survey(api, pipeline: Pipeline, admin: str) -> None:
    session = _whatsapp_resolved(api, pipeline, admin)
    _list_reply(api, f"csat:{session['session_id']}:4")
    pipeline.inbound()
    assert pipeline.consumer("csat_survey") == 1
