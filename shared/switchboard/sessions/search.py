"""Conversation search (docs/search.md): the index kept from the domain events (the conversation_index
function: one entry per event type, an explicit table) and a search page of the session list.

The consumer reads what it indexes by key (the message, the note, the contact) rather than trusting the
event's copy: a retried or late event indexes what is stored now (an anonymised message's redacted text,
not the original), and an event for something gone indexes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from switchboard.domain import conversation_search as rules
from switchboard.domain.search import looks_like_phone
from switchboard.errors import InvalidInput
from switchboard.services import Services
from switchboard.storage.conversation_search import ConversationIndex
from switchboard.storage.pagination import Page

Entry = Callable[[Services, str, dict[str, Any]], int]


def _index(services: Services) -> ConversationIndex:
    return ConversationIndex(services.table)


def _message(services: Services, t: str, d: dict[str, Any]) -> dict[str, Any] | None:
    session_id, message_id = d.get("session_id"), d.get("message_id")
    if not session_id or not message_id:
        return None
    sent_at = d.get("sent_at") or (d.get("message") or {}).get("sent_at")
    if sent_at:
        found = services.sessions.message_at(t, session_id, sent_at, message_id)
        if found is not None:
            return found
    return services.sessions.message_by_id(t, session_id, message_id)


def message_words(message: dict[str, Any]) -> list[str]:
    """A message's text and, for an email, its subject."""
    subject = message.get("subject") or (message.get("email") or {}).get("subject")
    return rules.text_words(str(message.get("text") or ""), str(subject or ""))


def _message_event(services: Services, t: str, d: dict[str, Any]) -> int:
    if d.get("suppressed"):
        return 0  # a blocked contact's message reaches no inbox, and no search
    message = _message(services, t, d)
    if message is None or message.get("suppressed"):
        return 0
    return _index(services).add_text(t, str(message["session_id"]), message_words(message))


def _note_added(services: Services, t: str, d: dict[str, Any]) -> int:
    note = services.sessions.note(t, d["session_id"], d["created_at"], d["note_id"])
    if note is None:
        return 0
    return _index(services).add_text(t, d["session_id"], rules.text_words(str(note.get("text") or "")))


def index_contact_of(services: Services, t: str, session: dict[str, Any]) -> int:
    """The session is found by its contact's words (and its thread's subject)."""
    contact = services.contacts.get(t, session["contact_id"]) if session.get("contact_id") else None
    written = _index(services).set_contact(t, session["session_id"], rules.contact_words(contact))
    if session.get("subject"):
        written += _index(services).add_text(t, session["session_id"], rules.text_words(str(session["subject"])))
    return written


def _session_created(services: Services, t: str, d: dict[str, Any]) -> int:
    session = services.sessions.get(t, d["session_id"])
    return index_contact_of(services, t, session) if session else 0


def _contact_changed(services: Services, t: str, d: dict[str, Any]) -> int:
    """A rename, new identifiers, a merge (the survivor), a link: each of the contact's sessions."""
    ids = [d.get("contact_id"), *(d.get("contact_ids") or [])]
    written = 0
    for contact_id in dict.fromkeys(i for i in ids if i):
        for session in services.contacts.sessions_of(t, contact_id):
            written += index_contact_of(services, t, session)
    return written


def remove_contact_sessions(services: Services, tenant_id: str, contact_id: str) -> int:
    """Anonymise and erase: the contact's sessions leave the index (their messages and its words)."""
    return sum(_index(services).remove_session(tenant_id, s["session_id"])
               for s in services.contacts.sessions_of(tenant_id, contact_id))


def _anonymized(services: Services, t: str, d: dict[str, Any]) -> int:
    return remove_contact_sessions(services, t, d["contact_id"])


ENTRIES: dict[str, Entry] = {
    "message.received": _message_event,
    "message.sent": _message_event,
    "session.note_added": _note_added,
    "session.created": _session_created,
    "contact.created": _contact_changed,  # an unlinked session's fresh contact
    "contact.updated": _contact_changed,
    "contact.merged": _contact_changed,
    "contact.anonymized": _anonymized,
}
INDEXED_EVENTS = tuple(ENTRIES)


def handle(services: Services, detail_type: str, detail: dict[str, Any]) -> int:
    """Apply one event to the index; returns the entries written or deleted."""
    entry = ENTRIES.get(detail_type)
    if entry is None:
        return 0
    return entry(services, str(detail["tenant_id"]), detail)


def search(services: Services, tenant_id: str, q: str, filters: rules.SessionFilters, cursor: str | None,
           limit: int) -> Page:
    """One page of the sessions whose words hold every term of ``q`` and that hold every filter: one
    Query of the longest term's entries and one BatchGetItem of those sessions (and their word sets).
    A page may hold fewer than ``limit`` sessions while ``next_cursor`` goes on."""
    country = services.tenants.default_country(tenant_id) if looks_like_phone(q) else None
    terms = rules.query_terms(q, country)
    term = rules.driving_term(terms)
    if term is None:
        raise InvalidInput(f"search for a word of at least {rules.SHARD_CHARS} characters", field="q")
    page = _index(services).candidates(tenant_id, term, cursor, limit)
    found = [c.session for c in page.candidates
             if rules.has_all_terms(c.words, terms) and rules.session_matches(c.session, filters)]
    return Page(found, page.cursor)
