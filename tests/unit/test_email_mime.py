"""Real-world mail, read with the standard library's email package: each fixture's addresses, subject,
bodies in their charsets, attachments and threading headers come out right, and nothing raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.email.mime import Address, html_to_text, message_ids, parse
from switchboard.email.threads import is_ours, reply_subject, session_of_message_id, session_of_reply_address
from tests.support.email import FIXTURES, fixture

# fixture -> (From address, From name, subject, a phrase of the text, has HTML)
EXPECTED = {
    "alternative_utf8.eml": ("jana.novakova@example.cz", "Jana Nováková", "Reklamace objednávky č. 2026-0451",
                             "dorazila poškozená", True),
    "attachment_pdf.eml": ("petr.svoboda@example.com", "Petr Svoboda", "Invoice for October",
                           "invoice attached", False),
    "inline_image.eml": ("customer@icloud.example", "Apple Customer", "Screenshot of the error",
                         "The app shows this error", True),
    "iso_8859_2.eml": ("zaneta@example.sk", "Žaneta Šťastná", "Prosím o fakturu", "Žaneta Šťastná", False),
    "windows_1250.eml": ("tomas.cermak@example.cz", "Tomáš Čermák", "Zásilka nedorazila",
                         "zboží jsem nepřevzal. Kdy přijde nová zásilka?", True),
    "koi8_r.eml": ("ivan.petrov@example.ru", "Иван Петров", "Вопрос о доставке", "Когда будет доставлен мой заказ?",
                   False),
    "malformed_headers.eml": ("broken@example.net", "Broken Client", "not valid base64 and ok",
                              "Café order is missing the receipt.", False),
    "auto_reply.eml": ("marketa@example.org", "Marketa Dvorakova", "Automatic reply: Your request",
                       "out of the office", False),
    "precedence_bulk.eml": ("news@shop.example", "Newsletter", "Our November deals", "20% off", False),
    "bounce_report.eml": ("MAILER-DAEMON@mx.example.com", "Mail Delivery Subsystem",
                          "Undelivered Mail Returned to Sender", "could not be delivered", False),
}


def test_every_fixture_is_covered() -> None:
    names = {p.name for p in Path(FIXTURES).glob("*.eml")}
    assert names == set(EXPECTED) | {"not_an_email.eml"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_message_reads_with_its_charset_decoded(name: str) -> None:
    address, display, subject, phrase, has_html = EXPECTED[name]

    parsed = parse(fixture(name))

    assert not parsed.unparseable
    assert [(a.address, a.name) for a in parsed.from_] == [(address, display)]
    assert parsed.subject == subject
    assert phrase in parsed.text
    assert "\r" not in parsed.text
    assert (parsed.html is not None) is has_html


def test_html_only_mail_gets_its_text_from_the_html() -> None:
    parsed = parse(fixture("windows_1250.eml"))

    assert "<p>" in (parsed.html or "") and "<" not in parsed.text
    assert parsed.text.splitlines()[0] == "Dobrý den,"


def test_a_pdf_attachment_keeps_its_rfc2231_name_type_and_bytes() -> None:
    parsed = parse(fixture("attachment_pdf.eml"))

    (pdf,) = parsed.attachments
    assert (pdf.content_type, pdf.filename, pdf.inline) == ("application/pdf", "Faktura říjen.pdf", False)
    assert pdf.payload.startswith(b"%PDF-1.4") and pdf.size == len(pdf.payload)
    assert [c.address for c in parsed.cc] == ["accounts@example.com"]


def test_an_inline_image_keeps_its_content_id_for_the_html() -> None:
    parsed = parse(fixture("inline_image.eml"))

    (image,) = parsed.attachments
    assert (image.content_type, image.filename, image.content_id, image.inline) == (
        "image/png", "screenshot.png", "screenshot.1@icloud.example", True)
    assert f"cid:{image.content_id}" in (parsed.html or "")
    assert image.payload.startswith(b"\x89PNG")


def test_malformed_headers_are_recorded_as_defects_not_errors() -> None:
    parsed = parse(fixture("malformed_headers.eml"))

    assert [a.address for a in parsed.to] == ["support@demo.switchboard.local"]
    assert parsed.message_id == "no-brackets-0001@example.net"
    assert parsed.in_reply_to == [] and parsed.references == ["valid.ref@example.net", "double@example.net"]
    assert parsed.date is None
    assert "unreadable Date header" in parsed.defects and "not an address in To" in parsed.defects


def test_auto_replies_and_bulk_mail_are_automated() -> None:
    assert parse(fixture("auto_reply.eml")).automated
    assert parse(fixture("precedence_bulk.eml")).automated
    assert not parse(fixture("alternative_utf8.eml")).automated
    assert not parse(b"From: a@example.com\r\nAuto-Submitted: no\r\n\r\nhi\r\n").automated


def test_a_delivery_status_report_is_a_bounce_naming_the_returned_message() -> None:
    parsed = parse(fixture("bounce_report.eml"))

    assert parsed.is_bounce and parsed.automated
    assert parsed.report is not None
    (recipient,) = parsed.report.recipients
    assert (recipient["recipient"], recipient["action"], recipient["status"]) == ("nobody@example.com", "failed",
                                                                                  "5.1.1")
    assert "User unknown" in recipient["diagnostic"]
    assert parsed.thread_ids() == ["0102018f-bounced-original-000000@eu-west-1.amazonses.com"]


@pytest.mark.parametrize("raw", [fixture("not_an_email.eml"), b"", b"\r\n\r\n"])
def test_bytes_that_are_no_message_are_unparseable(raw: bytes) -> None:
    assert parse(raw).unparseable


def test_thread_ids_put_in_reply_to_first_then_references_newest_first() -> None:
    raw = (b"From: a@example.com\r\nMessage-ID: <c@x>\r\nIn-Reply-To: <b@x>\r\n"
           b"References: <root@x> <a@x>\r\n <b@x>\r\n\r\nhi\r\n")

    assert parse(raw).thread_ids() == ["b@x", "a@x", "root@x"]


def test_message_ids_and_html_text() -> None:
    assert message_ids("<a@b> junk <c@d>") == ["a@b", "c@d"]
    assert message_ids("") == []
    assert html_to_text("<style>p{}</style><p>One &amp; two</p><p>three</p>") == "One & two\n\nthree"


def test_our_reply_address_and_message_id_name_the_session() -> None:
    session = "01M7YAQ9Q3W890GVCXMVP4EZ07"
    mailbox = "support@demo.switchboard.local"

    assert session_of_reply_address(mailbox, [Address("", f"Support+{session.lower()}@Demo.Switchboard.local")]) \
        == session
    assert session_of_reply_address(mailbox, [Address("", "support+hello@demo.switchboard.local")]) is None
    assert session_of_message_id(f"sb.{session}.01M7YAQ9Q39NGKJ227X5N4VX7S@demo.switchboard.local",
                                 mailbox) == session
    assert session_of_message_id(f"sb.{session}.01M7YAQ9Q39NGKJ227X5N4VX7S@elsewhere.example", mailbox) is None
    assert is_ours("SUPPORT+x@demo.switchboard.local", mailbox) and not is_ours("sales@demo.switchboard.local",
                                                                               mailbox)
    assert reply_subject("RE: Re: AW: Order 7") == "Re: Order 7"
