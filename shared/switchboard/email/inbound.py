"""contact_resolution's rules for one inbound email (a queued ``kind == "email"`` event whose raw MIME is
in the media bucket): parse it, find its thread, its contact and its session, and store it once.

Reads: one BatchGetItem (the message's own id, every id it refers to, the identifiers of its addresses)
and, for a reply, the session. Write: one TransactWriteItems (message, id aliases, session, contact and
its email identifier). A lost race (a concurrent first mail from the same new address, a concurrent
resolve) cancels it; we read again and re-plan. The message's own id alias is written under
``attribute_not_exists``: a redelivered message stores nothing.

Auto-replies and bounces are recorded, never answered, and open no session: on the thread's session as
a system message (unread and unanswered untouched) when they name one, else on the tenant's record of
automated mail. A message that cannot be parsed at all is kept raw and recorded as unparseable."""

from __future__ import annotations

import dataclasses
import hashlib
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from switchboard import clock, ids
from switchboard.clients.eventbus import DomainEvent
from switchboard.domain import blocks, pii, sessions
from switchboard.domain.channels import Channel
from switchboard.email import contacts, mime, threads
from switchboard.email.mime import Address, ParsedEmail
from switchboard.email.statuses import apply_ses_event
from switchboard.storage.email import EmailStore, InboundMail, MailboxView, automated_mail_item
from switchboard.errors import ConcurrentUpdate, UnknownChannel
from switchboard.inbound.statuses import apply_status
from switchboard.observability import count
from switchboard.services import Services
from switchboard.domain.inbound_queue import EmailEvent
from switchboard.storage.contacts import new_contact
from switchboard.storage.dynamo import TransactionConflict
from switchboard.storage.media import MediaStore
from switchboard.storage.messages import inbound_session_fields, message_item, new_session_item
from switchboard.storage.sessions import inbox_columns

_ATTEMPTS = 8
_PREVIEW_CHARS = 200
MAX_TEXT_CHARS = 100_000  # DynamoDB items stop at 400 KB; the raw message keeps everything
MAX_INLINE_HTML_CHARS = 20_000  # larger HTML bodies go to the media bucket
_MAX_REFERENCES = 20
_METRIC_OF = {"message": "EmailStored", "duplicate": "EmailDuplicate", "unparseable": "EmailUnparseable",
              "suppressed": "EmailSuppressed"}


@dataclass
class EmailOutcome:
    stored: str  # "message", "suppressed", "duplicate", "unparseable", "auto_reply", "bounce", "no_sender"
    session_id: str | None = None
    contact_id: str | None = None
    message_id: str | None = None
    events: list[DomainEvent] = field(default_factory=list)


def _attachment_key(tenant_id: str, sha256: str) -> str:
    return f"{tenant_id}/email/attachments/{sha256}"


def email_channel(event: EmailEvent, services: Services) -> Channel:
    channel = services.channels.by_id(event.channel_id)
    if channel is None or channel.tenant_id != event.tenant_id or channel.kind != "email" or not channel.address:
        raise UnknownChannel(f"mailbox {event.channel_id} is gone")
    return channel


def process_email_event(event: EmailEvent, services: Services) -> list[DomainEvent]:
    """contact_resolution's branch for ``email`` (a received message) and ``email_status`` (an SES event
    about one we sent). Safe to repeat."""
    channel = email_channel(event, services)
    if event.kind == "email_status":
        return apply_ses_event(event, services)
    outcome = store_inbound_email(event, channel, services)
    count(_METRIC_OF.get(outcome.stored, "EmailAutomatedKept"))
    return outcome.events


def store_inbound_email(event: EmailEvent, channel: Channel, services: Services) -> EmailOutcome:
    media = MediaStore(services.table, services.settings.need("media_bucket_name"))
    store = EmailStore(services.table)
    raw = media.get(event.payload["s3_key"])
    sha256 = str(event.payload.get("sha256") or hashlib.sha256(raw).hexdigest())
    parsed = mime.parse(raw)
    # Card numbers are masked before any of the mail's text is stored or shown (the raw .eml stays
    # in the media bucket, which nobody reads through the API).
    parsed = dataclasses.replace(parsed, text=pii.mask_card_numbers(parsed.text),
                                 subject=pii.mask_card_numbers(parsed.subject),
                                 html=pii.mask_card_numbers(parsed.html) if parsed.html else parsed.html)
    if parsed.unparseable:
        return _keep_automated(event, parsed, sha256, store, reason="unparseable", session=None)
    own_id = threads.stored_id(parsed.message_id or f"raw-{sha256}")
    mailbox = str(channel.address)
    addresses = contacts.thread_addresses(parsed, mailbox)
    refs = [threads.stored_id(i) for i in parsed.thread_ids()]
    fields: dict[str, Any] | None = None
    for _ in range(_ATTEMPTS):
        view = store.look_up(event.tenant_id, channel.channel_id, [own_id, *refs], [a.lower for a in addresses])
        if own_id in view.aliases:
            return EmailOutcome("duplicate", session_id=view.aliases[own_id].get("session_id"))
        session = _thread_session(parsed, channel, view, refs, store)
        if parsed.automated:
            outcome = _keep_automated(event, parsed, sha256, store, reason="bounce" if parsed.is_bounce
                                      else "auto_reply", session=session, own_id=own_id)
            if parsed.report and outcome.stored == "bounce":
                outcome.events += _bounced_by_mail(event.tenant_id, parsed, view, services)
            return outcome
        choice = contacts.choose_contact(addresses, view.owners)
        if session is None and choice is None:
            return _keep_automated(event, parsed, sha256, store, reason="no_sender", session=None,
                                   own_id=own_id)
        if fields is None:
            files = _store_files(event.tenant_id, parsed, media)
            fields = _email_fields(parsed, own_id, event.payload["s3_key"], event.tenant_id, files, media)
        known = str(session["contact_id"]) if session else (choice.contact_id if choice else None)
        now = clock.now()
        profile = store.contact(event.tenant_id, str(known)) if known else None
        blocked = blocks.is_blocked((profile or {}).get("blocked_until"), now)
        # a new contact whose address looks like a known one's (Cyrillic а, full-width): flagged, not merged
        lookalike = (services.directory.lookalike_of(event.tenant_id, [choice.address.lower])
                     if session is None and choice is not None and choice.contact_id is None else None)
        mail, outcome = _plan(event, channel, parsed, own_id, session, choice, fields, now, blocked,
                              (profile or {}).get("name"), lookalike)
        try:
            if not store.store_inbound(mail):
                return EmailOutcome("duplicate")
        except TransactionConflict:
            time.sleep(random.uniform(0.005, 0.05))  # noqa: S311 - jitter, not security
            continue
        return outcome
    raise ConcurrentUpdate(f"could not store email after {_ATTEMPTS} attempts")


def _thread_session(parsed: ParsedEmail, channel: Channel, view: MailboxView, refs: list[str],
                    store: EmailStore) -> dict[str, Any] | None:
    """Our reply address, then our own Message-IDs, then the ids the mailbox has seen, nearest first."""
    mailbox = str(channel.address)
    candidates: list[str] = []
    by_address = threads.session_of_reply_address(mailbox, [*parsed.to, *parsed.cc])
    if by_address:
        candidates.append(by_address)
    candidates += [sid for i in parsed.thread_ids() if (sid := threads.session_of_message_id(i, mailbox))]
    candidates += [str(view.aliases[i]["session_id"]) for i in refs
                   if i in view.aliases and view.aliases[i].get("session_id")]
    for session_id in dict.fromkeys(candidates):
        session = store.session(channel.tenant_id, session_id)
        if session and session.get("channel_id") == channel.channel_id:
            return session
    return None


def _store_files(tenant_id: str, parsed: ParsedEmail, media: MediaStore) -> list[dict[str, Any]]:
    """Attachments and inline images to the media bucket, by content (a repeat writes the same object)."""
    stored = []
    for attachment in parsed.attachments:
        key = _attachment_key(tenant_id, attachment.sha256)
        media.put(key, attachment.payload, attachment.content_type)
        entry: dict[str, Any] = {"key": key, "content_type": attachment.content_type, "size": attachment.size,
                                 "sha256": attachment.sha256, "inline": attachment.inline}
        if attachment.filename:
            entry["filename"] = attachment.filename
        if attachment.content_id:
            entry["content_id"] = attachment.content_id
        stored.append(entry)
    return stored


def _email_fields(parsed: ParsedEmail, own_id: str, raw_location: str, tenant_id: str,
                  files: list[dict[str, Any]], media: MediaStore | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "subject": parsed.subject, "from": [a.as_dict() for a in parsed.from_],
        "to": [a.as_dict() for a in parsed.to], "cc": [a.as_dict() for a in parsed.cc],
        "reply_to": [a.as_dict() for a in parsed.reply_to], "message_id": own_id,
        "in_reply_to": parsed.in_reply_to[:_MAX_REFERENCES], "references": parsed.references[-_MAX_REFERENCES:],
        "raw_key": raw_location, "attachments": files,
    }
    if parsed.date:
        fields["date"] = parsed.date
    if parsed.html is not None:
        if len(parsed.html) <= MAX_INLINE_HTML_CHARS:
            fields["html"] = parsed.html
        else:
            fields["html_key"] = f"{tenant_id}/email/html/{hashlib.sha256(parsed.html.encode()).hexdigest()}.html"
            if media is not None:
                media.put(fields["html_key"], parsed.html.encode(), "text/html; charset=utf-8")
    if parsed.defects:
        fields["defects"] = parsed.defects[:20]
    if len(parsed.text) > MAX_TEXT_CHARS:
        fields["text_truncated"] = True
    return fields


def _plan(event: EmailEvent, channel: Channel, parsed: ParsedEmail, own_id: str,
          session: dict[str, Any] | None, choice: contacts.ContactChoice | None,
          email_fields: dict[str, Any], now: datetime, blocked: bool = False,
          contact_name: str | None = None, lookalike: str | None = None) -> tuple[InboundMail, EmailOutcome]:
    """What one inbound email writes, from what the store said, and what it tells. No I/O.

    Mail from a blocked contact is kept (in the contact's partition, ``suppressed``) and reaches no
    session; otherwise the contact's write is conditioned on it not being blocked since the read."""
    t, channel_id = event.tenant_id, channel.channel_id
    now_iso = clock.iso(now)
    events: list[DomainEvent] = []
    new_contact: dict[str, Any] | None = None
    if session is not None:
        contact_id, address = str(session["contact_id"]), str(session.get("address") or "")
        resolved = session.get("status") == sessions.RESOLVED
        resolved_at = clock.parse_iso(session["resolved_at"]) if session.get("resolved_at") else now
        if not resolved:
            mode = "existing"
        elif sessions.may_reopen(resolved_at, now, channel.reopen_period_hours):
            mode = "reopen"
        else:
            mode = "new"
        session_id = str(session["session_id"]) if mode != "new" else ids.new_id()
    else:
        assert choice is not None
        address = choice.address.lower
        contact_id = choice.contact_id or ids.new_id()
        if choice.contact_id is None:
            new_contact = _new_contact(t, contact_id, choice.address, now_iso)
            if lookalike:
                new_contact["possible_duplicate_of"] = lookalike
            events.append(DomainEvent("contact.created", t, {"contact_id": contact_id, "source": "email"}))
        mode, session_id = "new", ids.new_id()

    message_id = ids.new_id()
    message = message_item(t, channel_id, message_id, now_iso, direction="in", kind="email",
                           text=parsed.text[:MAX_TEXT_CHARS], session_id=None if blocked else session_id,
                           contact_id=contact_id, provider_message_id=own_id, email=email_fields,
                           **({"suppressed": True} if blocked else {}))
    mail = InboundMail(tenant_id=t, channel_id=channel_id, own_id=own_id, message=message, contact_id=contact_id,
                       address=address, now_iso=now_iso, session_mode="none", new_contact=new_contact,
                       blocked=blocked)
    if blocked:
        events.append(DomainEvent("message.received", t, {
            "message_id": message_id, "session_id": None, "contact_id": contact_id, "channel_id": channel_id,
            "kind": "email", "suppressed": True}))
        return mail, EmailOutcome("suppressed", None, contact_id, message_id, events)

    preview = (parsed.text or parsed.subject)[:_PREVIEW_CHARS]
    last_message = {"message_id": message_id, "text": preview, "direction": "in", "kind": "email",
                    "at": now_iso}
    chain = [*parsed.references, *([] if own_id.startswith("raw-") else [own_id])][-_MAX_REFERENCES:]
    thread = {"last_message_id": own_id, "references": chain}
    new_session = None
    if mode == "new":
        new_session = new_session_item(t, session_id, channel_id, contact_id, address, sessions.OPEN, now_iso,
                                       last_message, channel_kind="email", **inbound_session_fields(),
                                       last_inbound_at=now_iso, subject=threads.thread_subject(parsed.subject),
                                       email_thread=thread,
                                       **inbox_columns(new_contact["name"] if new_contact else contact_name, channel))
        events.append(DomainEvent("session.created", t, {"session_id": session_id, "contact_id": contact_id,
                                                          "channel_id": channel_id}))
    elif mode == "reopen":
        events.append(DomainEvent("session.reopened", t, {"session_id": session_id, "by": "customer"}))
    events.append(DomainEvent("message.received", t, {
        "message_id": message_id, "session_id": session_id, "contact_id": contact_id, "channel_id": channel_id,
        "kind": "email", "suppressed": False,
        "message": {"message_id": message_id, "direction": "in", "kind": "email", "text": preview,
                    "subject": parsed.subject, "sent_at": now_iso}}))
    mail = dataclasses.replace(mail, session_mode=mode, session_id=session_id, new_session=new_session,
                               last_message=last_message, thread=thread)
    return mail, EmailOutcome("message", session_id, contact_id, message_id, events)


def _new_contact(tenant_id: str, contact_id: str, address: Address, now_iso: str) -> dict[str, Any]:
    return new_contact(tenant_id, contact_id, address.name or address.address, now_iso, emails=[address.lower])


def _bounced_by_mail(tenant_id: str, parsed: ParsedEmail, view: MailboxView,
                     services: Services) -> list[DomainEvent]:
    """A delivery-status report returning one of our messages (quoting the id SES gave it) fails that
    message, as SES's own bounce event would."""
    assert parsed.report is not None
    diagnostic = next((r["diagnostic"] or r["status"] for r in parsed.report.recipients
                       if r.get("action") == "failed"), None)
    if diagnostic is None:
        return []
    events: list[DomainEvent] = []
    for quoted in parsed.report.original_message_ids:
        alias = view.aliases.get(threads.stored_id(quoted))
        if not alias or alias.get("direction") != "out" or not quoted.endswith(".amazonses.com"):
            continue
        payload = {"id": quoted.split("@", 1)[0], "status": "failed",
                   "timestamp": str(int(clock.now().timestamp())),
                   "errors": [{"code": "bounce:mail", "title": "Bounced (delivery status report)",
                               "error_data": {"details": diagnostic[:1000]}}]}
        events += apply_status(tenant_id, payload, services.statuses)
    return events


def _keep_automated(event: EmailEvent, parsed: ParsedEmail, sha256: str, store: EmailStore, reason: str,
                    session: dict[str, Any] | None, own_id: str | None = None) -> EmailOutcome:
    """Record mail nobody answers: on its thread's session as a system message (no unread, no
    unanswered, no reopening), or on the tenant's record of automated mail."""
    t = event.tenant_id
    now_iso = clock.iso(clock.now())
    received_iso = str(event.payload.get("received_at") or now_iso)
    fields = _email_fields(parsed, own_id or f"raw-{sha256}", event.payload["s3_key"], t, [])
    if parsed.report:
        fields["report"] = parsed.report.recipients[:20]
    summary = {"reason": reason, "channel_id": event.channel_id, "email": fields, "received_at": now_iso,
               "text": parsed.text[:MAX_TEXT_CHARS]}
    detail = {"channel_id": event.channel_id, "reason": reason}
    if session is None:
        record_id = own_id or f"raw-{sha256}"
        digest = hashlib.sha256(record_id.encode()).hexdigest()
        store.record_automated(automated_mail_item(t, received_iso, digest, summary))
        return EmailOutcome(reason, events=[DomainEvent("email.automated_received", t, detail)])
    session_id = str(session["session_id"])
    message_id = ids.new_id()
    message = message_item(t, event.channel_id, message_id, now_iso, direction="in", kind="system",
                           text=summary["text"], session_id=session_id, contact_id=session.get("contact_id"),
                           system_kind=f"email_{reason}", provider_message_id=own_id,
                           **{k: v for k, v in summary.items() if k not in ("text", "channel_id")})
    if not store.store_on_session(t, event.channel_id, str(own_id), session_id, message):
        return EmailOutcome("duplicate", session_id=session_id)
    return EmailOutcome(reason, session_id=session_id, message_id=message_id,
                        events=[DomainEvent("email.automated_received", t, {**detail, "session_id": session_id})])
