"""Email threading: which session a message belongs to.

In order: our own reply address (``<mailbox-local>+<session_id>@<domain>``, set as Reply-To on what we
send), our own Message-ID (``<sb.<session_id>.<message_id>@<domain>>``), then In-Reply-To and every id
in References, looked up in the ids the mailbox has seen (``keys.email_message_id``; each inbound
message, each of our messages, and the id SES gives our messages, which replaces ours on the wire).
Pure functions; no I/O."""

from __future__ import annotations

import hashlib
import re

from switchboard.email.mime import Address

_OUR_ID = re.compile(r"^sb\.([0-9A-Z]{26})\.([0-9A-Z]{26})@", re.IGNORECASE)
_SESSION_ID = re.compile(r"^[0-9A-Z]{26}$")
_MAX_STORED_ID = 400
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|odp|sv|vs)\s*:\s*", re.IGNORECASE)


def _split(address: str) -> tuple[str, str]:
    local, _, domain = address.lower().rpartition("@")
    return local, domain


def is_ours(address: str, mailbox: str) -> bool:
    """The mailbox itself or one of its plus addresses."""
    local, domain = _split(address)
    our_local, our_domain = _split(mailbox)
    return domain == our_domain and (local == our_local or local.startswith(our_local + "+"))


def reply_address(mailbox: str, session_id: str) -> str:
    local, _, domain = mailbox.rpartition("@")
    return f"{local}+{session_id}@{domain}"


def session_of_reply_address(mailbox: str, recipients: list[Address]) -> str | None:
    our_local, our_domain = _split(mailbox)
    for recipient in recipients:
        local, domain = _split(recipient.address)
        if domain == our_domain and local.startswith(our_local + "+"):
            candidate = local[len(our_local) + 1:].upper()
            if _SESSION_ID.match(candidate):
                return candidate
    return None


def our_message_id(session_id: str, message_id: str, mailbox: str) -> str:
    return f"sb.{session_id}.{message_id}@{_split(mailbox)[1]}"


def session_of_message_id(message_id: str, mailbox: str) -> str | None:
    match = _OUR_ID.match(message_id)
    if match and message_id.lower().endswith("@" + _split(mailbox)[1]):
        return match.group(1).upper()
    return None


def ses_message_ids(ses_message_id: str, region: str) -> list[str]:
    """The Message-ID header SES puts on what it sends for us (it replaces ours). us-east-1 has used
    both forms, so both are recorded there."""
    found = [f"{ses_message_id}@{region}.amazonses.com"]
    if region == "us-east-1":
        found.append(f"{ses_message_id}@email.amazonses.com")
    return found


def stored_id(message_id: str) -> str:
    """The form an id is stored under: itself, or its SHA-256 when absurdly long."""
    if len(message_id) <= _MAX_STORED_ID:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode()).hexdigest()


def thread_subject(subject: str) -> str:
    """The subject without its reply prefixes (``Re: Re: AW: x`` -> ``x``)."""
    previous = None
    while previous != subject:
        previous = subject
        subject = _REPLY_PREFIX.sub("", subject, count=1)
    return subject.strip()


def reply_subject(subject: str) -> str:
    base = thread_subject(subject)
    return f"Re: {base}" if base else "Re:"
