"""Reading one raw message with the standard library's ``email`` package (policy.default): addresses,
subject, the text and HTML bodies with their charsets decoded, attachments and inline images, the
threading headers, and whether it is an auto-reply or a bounce.

Mail in the wild is often malformed. Nothing here raises for bad input: a header that cannot be read
is recorded as a defect and skipped, a body in an unknown charset is decoded leniently, and a message
with no header at all is reported as unparseable (the caller keeps it raw)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

# What the stdlib's header and body machinery raises for malformed input, besides its own defects.
_PARSE_ERRORS = (ValueError, TypeError, IndexError, AttributeError, LookupError, AssertionError,
                 email_errors.MessageError)
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk"}


@dataclass(frozen=True)
class Address:
    name: str
    address: str  # as written; compare with ``lower``

    @property
    def lower(self) -> str:
        return self.address.lower()

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "address": self.address} if self.name else {"address": self.address}


@dataclass(frozen=True)
class Attachment:
    content_type: str
    filename: str | None
    payload: bytes
    content_id: str | None = None
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.payload)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()


@dataclass(frozen=True)
class DeliveryReport:
    """The machine-readable part of a bounce (message/delivery-status, RFC 3464)."""

    recipients: list[dict[str, str]]  # {"recipient", "action", "status", "diagnostic"}
    original_message_ids: list[str]


@dataclass
class ParsedEmail:
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_: list[Address] = field(default_factory=list)
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    date: str | None = None  # ISO-8601, when the Date header reads
    text: str = ""
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    auto_reply: bool = False
    report: DeliveryReport | None = None
    defects: list[str] = field(default_factory=list)
    unparseable: bool = False

    @property
    def is_bounce(self) -> bool:
        return self.report is not None

    @property
    def automated(self) -> bool:
        """Mail no one should answer: auto-replies and bounces."""
        return self.auto_reply or self.is_bounce

    def thread_ids(self) -> list[str]:
        """Ids that may name the thread, nearest first: In-Reply-To, then References newest first, then
        the ids a bounce quotes from the message it returns."""
        ordered = [*self.in_reply_to, *reversed(self.references)]
        if self.report:
            ordered += self.report.original_message_ids
        seen: dict[str, None] = {}
        for message_id in ordered:
            seen.setdefault(message_id, None)
        return list(seen)


def message_ids(text: str | None) -> list[str]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References header, without brackets.
    A header with no brackets at all (seen from broken clients) counts as one id if it has an ``@``."""
    if not text:
        return []
    found = _MESSAGE_ID.findall(text)
    if not found and "@" in text and len(text.split()) == 1:
        found = [text.strip()]
    return found


class _TextOfHtml(HTMLParser):
    _BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"}
    _SKIPPED = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:  # noqa: ARG002 - the stdlib's signature
        if tag in self._SKIPPED:
            self.skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body (the stdlib's html.parser): tags dropped, blocks on their own lines."""
    parser = _TextOfHtml()
    try:
        parser.feed(html)
        parser.close()
    except _PARSE_ERRORS:
        pass
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _clean(text: str) -> str:
    """Undecodable header bytes come back as lone surrogates, which no store can encode: make them "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _header(message: Message, name: str, defects: list[str]) -> str | None:
    try:
        value = message.get(name)
        return None if value is None else _clean(str(value))
    except _PARSE_ERRORS:
        defects.append(f"unreadable {name} header")
        # The header as written, unparsed (get_all would run the same failing parser again).
        raw = [value for key, value in message.raw_items() if key.lower() == name.lower()]
        return _clean(" ".join(str(raw[0]).split())) if raw else None


def _addresses(message: Message, name: str, defects: list[str]) -> list[Address]:
    found: list[Address] = []
    try:
        header = message.get(name)
        if header is None:
            return []
        pairs = [(a.display_name, a.addr_spec) for group in header.groups for a in group.addresses]
    except _PARSE_ERRORS:
        defects.append(f"unreadable {name} header")
        # The header as written, unparsed (get_all would run the same failing parser again).
        raw = [str(value) for key, value in message.raw_items() if key.lower() == name.lower()]
        try:
            pairs = getaddresses(raw)
        except _PARSE_ERRORS:
            pairs = []
    for display, addr in pairs:
        display, addr = _clean(display or ""), _clean((addr or "").strip())
        if "@" in addr and " " not in addr and addr not in {a.address for a in found}:
            found.append(Address(name=(display or "").strip(), address=addr))
        elif addr:
            defects.append(f"not an address in {name}")
    return found


def _decoded_text(part: Message, defects: list[str]) -> str:
    """The part's text in its declared charset; unknown or lying charsets decode leniently."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except _PARSE_ERRORS:
        defects.append("body charset could not be applied")
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload() or "")
    charset = part.get_content_charset() or "utf-8"
    for candidate in (charset, "utf-8"):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):  # ValueError: a NUL in the charset name
            continue
    return payload.decode("latin-1")


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    inner = part.get_payload()
    if isinstance(inner, list) and inner:  # message/rfc822 and friends: the message itself
        try:
            return inner[0].as_bytes()
        except _PARSE_ERRORS:
            return b""
    return str(inner or "").encode("utf-8", "replace")


def _delivery_report(message: Message) -> DeliveryReport | None:
    status_part = next((p for p in message.walk() if p.get_content_type() == "message/delivery-status"), None)
    if status_part is None:
        return None
    recipients: list[dict[str, str]] = []
    blocks = status_part.get_payload()
    for block in blocks if isinstance(blocks, list) else []:
        recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
        if not recipient:
            continue
        recipients.append({
            "recipient": recipient.split(";", 1)[-1].strip(),
            "action": str(block.get("Action") or "").strip().lower(),
            "status": str(block.get("Status") or "").strip(),
            "diagnostic": " ".join(str(block.get("Diagnostic-Code") or "").split()),
        })
    originals: list[str] = []
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                originals += message_ids(str(inner[0].get("Message-ID") or ""))
            elif isinstance(inner, str):
                match = re.search(r"^Message-ID:\s*(.+)$", inner, re.IGNORECASE | re.MULTILINE)
                originals += message_ids(match.group(1)) if match else []
    return DeliveryReport(recipients, originals)


def _is_auto_reply(message: Message) -> bool:
    auto_submitted = str(message.get("Auto-Submitted") or "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    if message.get("X-Autoreply") is not None or message.get("X-Autorespond") is not None:
        return True
    return str(message.get("Precedence") or "").strip().lower() in _AUTO_PRECEDENCE


def parse(raw: bytes) -> ParsedEmail:
    """Everything we store of one raw message. Never raises for malformed input."""
    parsed = ParsedEmail()
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except _PARSE_ERRORS:
        parsed.unparseable = True
        return parsed
    if not message.keys():
        parsed.unparseable = True
        parsed.defects.append("no headers")
        return parsed
    defects = parsed.defects
    defects += [type(d).__name__ for d in message.defects]
    parsed.message_id = next(iter(message_ids(_header(message, "Message-ID", defects))), None)
    parsed.in_reply_to = message_ids(_header(message, "In-Reply-To", defects))
    parsed.references = message_ids(_header(message, "References", defects))
    parsed.subject = " ".join((_header(message, "Subject", defects) or "").split())
    parsed.from_ = _addresses(message, "From", defects)
    parsed.to = _addresses(message, "To", defects)
    parsed.cc = _addresses(message, "Cc", defects)
    parsed.reply_to = _addresses(message, "Reply-To", defects)
    date = _header(message, "Date", defects)
    if date:
        try:
            moment = parsedate_to_datetime(date)
            parsed.date = moment.isoformat() if moment.tzinfo else None
        except _PARSE_ERRORS:
            defects.append("unreadable Date header")
    try:
        parsed.auto_reply = _is_auto_reply(message)
        parsed.report = _delivery_report(message)
    except _PARSE_ERRORS:
        defects.append("unreadable report")
    _bodies(message, parsed)
    return parsed


def _bodies(message: Message, parsed: ParsedEmail) -> None:
    defects = parsed.defects
    text_part = html_part = None
    if isinstance(message, EmailMessage):
        try:
            text_part = message.get_body(preferencelist=("plain",))
            html_part = message.get_body(preferencelist=("html",))
        except _PARSE_ERRORS:
            defects.append("unreadable body structure")
    if text_part is not None:
        parsed.text = _decoded_text(text_part, defects).replace("\r\n", "\n").strip()
    if html_part is not None:
        parsed.html = _decoded_text(html_part, defects).replace("\r\n", "\n")
        if not parsed.text:
            parsed.text = html_to_text(parsed.html)
    bodies = {id(p) for p in (text_part, html_part) if p is not None}
    for part in _leaves(message):
        content_type = part.get_content_type()
        if id(part) in bodies or content_type == "message/delivery-status":
            continue
        try:
            disposition = part.get_content_disposition()
            filename = part.get_filename()
        except _PARSE_ERRORS:
            disposition, filename = None, None
            defects.append("unreadable attachment headers")
        content_id = next(iter(message_ids(str(part.get("Content-ID") or ""))), None)
        parsed.attachments.append(Attachment(
            content_type=content_type, filename=filename, payload=_payload_bytes(part),
            content_id=content_id, inline=disposition == "inline" or (disposition is None and bool(content_id))))


def _leaves(part: Message) -> list[Message]:
    """The parts that carry content, not descending into attached messages (each is one attachment)."""
    if not part.is_multipart() or part.get_content_maintype() == "message":
        return [part]
    children = part.get_payload()
    return [leaf for child in (children if isinstance(children, list) else []) for leaf in _leaves(child)]
