"""An operator's reply in an email session, through SES v2 (``Content.Raw``, so threading headers stay).

The message: From the mailbox, Reply-To our plus address for the session (so a reply finds the session
even from a client that drops References), To the session's address, Subject "Re: <thread subject>"
unless the operator gave one, In-Reply-To the customer's last message and References the thread's ids,
our own Message-ID (``<sb.<session>.<message>@<mailbox domain>>``), the text and HTML alternatives, and
the attachments from the media bucket. SES replaces our Message-ID with its own, so both are recorded
(``keys.email_message_id`` aliases) and a reply quoting either finds the session; SES's MessageId is
returned for the send worker to record as the provider id (SES events are matched by it)."""

from __future__ import annotations

import mimetypes
from email.message import EmailMessage
from email.utils import formataddr, format_datetime
from typing import Any

from aws_lambda_powertools import Logger
from switchboard import clock
from switchboard.clients.ses import SesClient
from switchboard.domain.channels import Channel
from switchboard.email import threads
from switchboard.errors import ConcurrentUpdate, InvalidInput, NotFound
from switchboard.domain.uploads import issued_for
from switchboard.services import Services
from switchboard.storage.dynamo import StorageUnavailable
from switchboard.storage.email import EmailStore
from switchboard.storage.media import MediaStore

_MAX_REFERENCES = 20
logger = Logger(service="message_send", child=True)


def build_reply(message_item: dict[str, Any], session: dict[str, Any], channel: Channel,
                attachments: list[tuple[bytes, str, str]]) -> tuple[EmailMessage, str]:
    """The MIME message and our Message-ID. ``attachments``: (bytes, content type, filename)."""
    mailbox = str(channel.address)
    session_id = str(session["session_id"])
    our_id = threads.our_message_id(session_id, str(message_item["message_id"]), mailbox)
    thread = session.get("email_thread") or {}
    references = [*thread.get("references", [])][-_MAX_REFERENCES:]
    mail = EmailMessage()
    mail["From"] = formataddr((channel.name, mailbox))
    mail["Reply-To"] = threads.reply_address(mailbox, session_id)
    mail["To"] = str(session["address"])
    mail["Subject"] = message_item.get("subject") or threads.reply_subject(str(session.get("subject") or ""))
    mail["Date"] = format_datetime(clock.now())
    mail["Message-ID"] = f"<{our_id}>"
    if thread.get("last_message_id") and not str(thread["last_message_id"]).startswith("raw-"):
        mail["In-Reply-To"] = f"<{thread['last_message_id']}>"
    if references:
        mail["References"] = " ".join(f"<{i}>" for i in references)
    mail.set_content(str(message_item.get("text") or ""))
    if message_item.get("html"):
        mail.add_alternative(str(message_item["html"]), subtype="html")
    for content, content_type, filename in attachments:
        maintype, _, subtype = content_type.partition("/")
        mail.add_attachment(content, maintype=maintype or "application", subtype=subtype or "octet-stream",
                            filename=filename)
    return mail, our_id


def _attachments(message_item: dict[str, Any], media: MediaStore) -> list[tuple[bytes, str, str]]:
    found = []
    for entry in message_item.get("attachments") or []:
        key = str(entry["key"])
        # The API accepted only uploads of this session; checked again where the bytes are read.
        if not issued_for(key, str(message_item["tenant_id"]), str(message_item.get("session_id") or "")):
            raise InvalidInput("not a file uploaded for this session", field="attachments")
        filename = str(entry.get("filename") or key.rsplit("/", 1)[-1])
        content_type = entry.get("content_type") or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        found.append((media.get(key), str(content_type), filename))
    return found


def deliver(message_item: dict[str, Any], channel: Channel, services: Services) -> str:
    """Send one stored outbound email message; returns SES's MessageId (the provider id).

    Raises ``SesRefused`` (with ``retryable``) when SES does not take it; nothing is recorded then."""
    t = str(message_item["tenant_id"])
    session = services.sessions.get(t, str(message_item["session_id"]))
    if session is None or session.get("channel_id") != channel.channel_id or not session.get("address"):
        raise NotFound("the message's email session is gone")
    media = MediaStore(services.table, services.settings.need("media_bucket_name"))
    mail, our_id = build_reply(message_item, session, channel, _attachments(message_item, media))
    ses = SesClient(services.settings.ses_configuration_set)
    ses_id = ses.send_raw(mail.as_bytes(), str(channel.address), [str(session["address"])],
                          {"tenant_id": t, "channel_id": channel.channel_id,
                           "message_id": str(message_item["message_id"])})
    try:
        ses_ids = threads.ses_message_ids(ses_id, ses.region())
        references = [*(session.get("email_thread") or {}).get("references", []), our_id, ses_ids[0]]
        EmailStore(services.table).record_sent_ids(message_item, session, channel.channel_id, our_id, ses_ids,
                                                   references[-_MAX_REFERENCES:])
    except (StorageUnavailable, ConcurrentUpdate):
        # Sent already: raising would send it again. Replies still find the session through our reply
        # address and our own Message-ID, which need no record.
        logger.warning("email sent but its ids were not recorded", message_id=message_item["message_id"])
    return ses_id
