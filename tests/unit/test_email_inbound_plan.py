"""What one inbound email writes, decided without AWS (the domain's InboundMail, and the transaction storage
makes of it): a new thread, a reply, a reply after the reopen
period, a blocked contact, and a body too large for the item."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple

from switchboard import clock
from switchboard.domain.channels import Channel
from switchboard.email import inbound
from switchboard.email.contacts import ContactChoice
from switchboard.email.mime import Address, parse
from switchboard.domain.inbound_queue import EmailEvent
from switchboard.storage.email import InboundMail, inbound_transaction
from tests.support.email import DEMO_MAILBOX, mail

CHANNEL = Channel(tenant_id="demo", channel_id="mail-demo", kind="email", name="Support", secret_name="s",
                  address=DEMO_MAILBOX, reopen_period_hours=72)
EVENT = EmailEvent(kind="email", tenant_id="demo", channel_id="mail-demo", event_id="m@x", group="g",
                    payload={"s3_key": "demo/email/raw/x.eml"})
NOW = clock.parse_iso("2026-11-21T10:00:00.000Z")


class _Plan(NamedTuple):
    mail: InboundMail
    outcome: inbound.EmailOutcome


def _writes(plan: _Plan) -> dict[str, list[dict[str, Any]]]:
    """The transaction storage makes of the decided mail."""
    found: dict[str, list[dict[str, Any]]] = {}
    for item in inbound_transaction(plan.mail)[0].items:
        kind, body = next(iter(item.items()))
        found.setdefault(kind, []).append(body)
    return found


def _plan(session: dict | None = None, choice: ContactChoice | None = None, blocked: bool = False,
          raw: bytes | None = None) -> _Plan:
    parsed = parse(raw or mail(sender="Alice <alice@example.com>", subject="Order 7", text="where is it?"))
    return _Plan(*inbound._plan(EVENT, CHANNEL, parsed, "m@x", session, choice, {"subject": parsed.subject}, NOW,
                                blocked))


def _session(status: str, resolved_hours_ago: int = 1) -> dict[str, Any]:
    return {"session_id": "01SESSION0000000000000000A", "contact_id": "C1", "address": "alice@example.com",
            "channel_id": "mail-demo", "status": status,
            "resolved_at": clock.iso(NOW - timedelta(hours=resolved_hours_ago))}


def test_a_new_thread_from_a_new_address_writes_contact_identifier_session_and_message() -> None:
    plan = _plan(choice=ContactChoice(Address("Alice", "Alice@Example.com"), None))

    puts = [p["Item"] for p in _writes(plan)["Put"]]
    contact = next(i for i in puts if i["sk"] == "PROFILE")
    assert (contact["name"], contact["emails"]) == ("Alice", ["alice@example.com"])
    assert any(i["pk"] == "T#demo#ID#email#alice@example.com" for i in puts)
    session = next(i for i in puts if i["sk"] == "SESSION")
    assert (session["address"], session["subject"], session["unread_count"]) == ("alice@example.com", "Order 7", 1)
    assert plan.outcome.stored == "message" and "Update" not in _writes(plan)
    assert [e.detail_type for e in plan.outcome.events] == ["contact.created", "session.created",
                                                             "message.received"]


def test_a_reply_updates_its_open_session_and_a_resolved_one_is_reopened_within_the_period() -> None:
    for status, expected in (("open", "message.received"), ("resolved", "session.reopened")):
        plan = _plan(session=_session(status))

        updates = _writes(plan)["Update"]
        assert any(u["Key"]["sk"] == "SESSION" for u in updates), status
        assert expected in [e.detail_type for e in plan.outcome.events]
        assert plan.outcome.session_id == "01SESSION0000000000000000A"


def test_a_reply_after_the_reopen_period_starts_a_new_session_for_the_same_contact() -> None:
    plan = _plan(session=_session("resolved", resolved_hours_ago=73))

    new = next(p["Item"] for p in _writes(plan)["Put"] if p["Item"]["sk"] == "SESSION")
    assert new["session_id"] != "01SESSION0000000000000000A" and new["contact_id"] == "C1"


def test_mail_from_a_blocked_contact_goes_to_the_contact_not_a_session() -> None:
    plan = _plan(session=_session("open"), blocked=True)

    writes = _writes(plan)
    message = next(p["Item"] for p in writes["Put"] if p["Item"]["sk"].startswith("M#"))
    assert message["pk"] == "T#demo#C#C1" and message["suppressed"] is True and "session_id" not in message
    assert not any(u["Key"]["sk"] == "SESSION" for u in writes["Update"])
    assert plan.outcome.stored == "suppressed"


def test_an_unblocked_contact_is_written_only_if_no_block_came_in_meanwhile() -> None:
    plan = _plan(session=_session("open"))

    (contact,) = [u for u in _writes(plan)["Update"] if u["Key"]["sk"] == "PROFILE"]
    assert "blocked_until <= :now" in contact["ConditionExpression"]


class _Media:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str) -> None:  # noqa: ARG002 - MediaStore's signature
        self.objects[key] = body


def test_a_large_html_body_goes_to_the_bucket_and_the_item_keeps_its_key() -> None:
    html = "<p>" + "x" * (inbound.MAX_INLINE_HTML_CHARS + 10) + "</p>"
    parsed = parse(mail(text="short", html=html))
    media = _Media()

    fields = inbound._email_fields(parsed, "m@x", "demo/email/raw/x.eml", "demo", [], media)  # type: ignore[arg-type]

    assert "html" not in fields and fields["html_key"].startswith("demo/email/html/")
    assert media.objects[fields["html_key"]].decode().strip() == html
