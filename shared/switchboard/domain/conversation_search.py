"""Conversation search, the pure part: what a session is findable by, what a query means, and whether a
session answers a query and the session list's filters (docs/search.md).

A session is found by the words of its messages (both directions), its email subject, its notes and its
contact (name, phones in their usual forms, emails, channel identities). Words are folded like the contact
search (``search.fold``: NFKD, accents dropped, lower case) and cut to ``WORD_CAP`` characters. The index
holds one entry per distinct word of a session, under the word's first ``SHARD_CHARS`` characters, so a
query term reads the entries that start with it (a key condition, no scan), and the session's own word
set decides the other terms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from switchboard.domain import search

WORD_CAP = 24
SHARD_CHARS = 2  # a term shorter than this cannot drive a page
# A session's word set (one item, read with each candidate) stays well under DynamoDB's 4 KB read unit
# for an ordinary conversation, and under its 400 KB item limit for any: words past the cap are not indexed.
MAX_SESSION_WORDS = 3000


def text_words(*texts: str | None) -> list[str]:
    """The distinct indexable words of some text (a message's body, an email's subject, a note)."""
    found: list[str] = []
    for text in texts:
        found += [w[:WORD_CAP] for w in search.words(text or "")]
    return list(dict.fromkeys(found))


def contact_words(contact: dict[str, Any] | None) -> list[str]:
    """The words of the session's contact: the directory's own words (name, phone forms, emails,
    identities), cut like every other word."""
    if not contact:
        return []
    return list(dict.fromkeys(w[:WORD_CAP] for w in search.contact_words(contact)))


def query_terms(q: str | None, country: str | None = None) -> list[str]:
    """The terms of a typed query (a phone-looking query is one digit string, as in the contact search)."""
    return [t[:WORD_CAP] for t in search.query_terms(q, country)]


def driving_term(terms: list[str]) -> str | None:
    """The term whose entries a page reads: the longest (the fewest entries), if any is long enough."""
    longest = max(terms, key=len, default="")
    return longest if len(longest) >= SHARD_CHARS else None


def has_all_terms(words: Iterable[str], terms: list[str]) -> bool:
    """Every term is the start of one of the session's words."""
    own = set(words)
    return all(any(word.startswith(term) for word in own) for term in terms)


@dataclass(frozen=True)
class SessionFilters:
    """The session list's filters; ``None`` is "any". Moments are ISO strings in UTC."""

    status: str | None = None
    channel_id: str | None = None
    channel_kind: str | None = None  # whatsapp | email
    operator_id: str | None = None
    group_id: str | None = None
    contact_id: str | None = None
    unanswered: bool | None = None
    tag: str | None = None
    rating: int | None = None
    created_from: str | None = None
    created_to: str | None = None
    last_activity_from: str | None = None
    last_activity_to: str | None = None
    sla_breached: bool | None = None
    waiting: bool | None = None  # open and nobody assigned (True), or someone assigned (False)


def channel_kind_of(session: dict[str, Any]) -> str:
    """Email sessions say so; every other session is on WhatsApp."""
    return str(session.get("channel_kind") or "whatsapp")


def session_matches(session: dict[str, Any], f: SessionFilters) -> bool:
    """Whether a session holds every filter (the search path checks its candidates with this; the plain
    list asks DynamoDB the same through ``storage.sessions.filter_expression``)."""
    equal = {"status": f.status, "channel_id": f.channel_id, "operator_id": f.operator_id,
             "group_id": f.group_id, "contact_id": f.contact_id}
    if any(value is not None and session.get(name) != value for name, value in equal.items()):
        return False
    if f.unanswered is not None and bool(session.get("unanswered")) != f.unanswered:
        return False
    if f.channel_kind is not None and channel_kind_of(session) != f.channel_kind:
        return False
    if f.tag is not None and f.tag not in (session.get("tags") or []):
        return False
    if f.rating is not None and session.get("csat_rating") != f.rating:
        return False
    created, active = str(session.get("created_at") or ""), str(session.get("last_activity_at") or "")
    if (f.created_from and created < f.created_from) or (f.created_to and created > f.created_to):
        return False
    if (f.last_activity_from and active < f.last_activity_from) or (
            f.last_activity_to and active > f.last_activity_to):
        return False
    if f.sla_breached is not None and bool(session.get("sla_breached")) != f.sla_breached:
        return False
    if f.waiting is not None:
        waiting = session.get("status") == "open" and not session.get("operator_id")
        if waiting != f.waiting:
            return False
    return True
