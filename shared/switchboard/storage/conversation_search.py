"""The conversation search index (docs/search.md): its writes, made off the inbound hot path by the
conversation_index function, and one search page, with no scan.

Items:
  word entry     T#t#SW#<first 2 chars> / <word>#<session id>    one per distinct word of a session
  word set       T#t#S#<session id>   / WORDS                  ``text_words`` (messages, subjects, notes)
                                                               and ``contact_words`` (the contact's)
Every write is a put or delete of a deterministic key, or an ADD to a set: running one again changes
nothing, so the bus's retries are safe. Entries are written before the word set says they exist, so a
retry after a failure part way writes what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from switchboard.domain.conversation_search import MAX_SESSION_WORDS, SHARD_CHARS
from switchboard.storage import keys
from switchboard.storage.dynamo import Table
from switchboard.storage.pagination import decode_cursor, encode_cursor


def word_entry(tenant_id: str, session_id: str, word: str) -> dict[str, Any]:
    return {**keys.session_word(tenant_id, word[:SHARD_CHARS], word, session_id), "session_id": session_id}


def entry_keys(tenant_id: str, session_id: str, words: set[str]) -> list[dict[str, str]]:
    return [keys.session_word(tenant_id, w[:SHARD_CHARS], w, session_id) for w in sorted(words)]


@dataclass(frozen=True)
class Candidate:
    session: dict[str, Any]
    words: set[str]


@dataclass(frozen=True)
class CandidatePage:
    candidates: list[Candidate]
    cursor: str | None


def _words_of(item: dict[str, Any] | None, attribute: str) -> set[str]:
    return set((item or {}).get(attribute) or ())


class ConversationIndex:
    def __init__(self, table: Table) -> None:
        self.table = table

    # -- writes (the conversation_index function) --------------------------------------------------------
    def add_text(self, tenant_id: str, session_id: str, words: list[str]) -> int:
        """A message's (or note's, or subject's) words join the session's; returns how many entries were
        written (only the words the session did not have yet)."""
        held = self.table.get(keys.session_words(tenant_id, session_id))
        text = _words_of(held, "text_words")
        room = MAX_SESSION_WORDS - len(text) - len(_words_of(held, "contact_words"))
        new = [w for w in words if w not in text][:max(room, 0)]
        if not new:
            return 0
        self.table.write_batch(puts=[word_entry(tenant_id, session_id, w) for w in new])
        self.table.update(keys.session_words(tenant_id, session_id), "ADD text_words :w SET tenant_id = :t",
                          {":w": set(new), ":t": tenant_id})
        return len(new)

    def set_contact(self, tenant_id: str, session_id: str, words: list[str]) -> int:
        """The session is found by these words of its contact (a rename replaces the old ones, except those
        its messages also hold). Returns how many entries were written or deleted."""
        held = self.table.get(keys.session_words(tenant_id, session_id))
        text, before = _words_of(held, "text_words"), _words_of(held, "contact_words")
        after = set(words[:max(MAX_SESSION_WORDS - len(text), 0)])
        puts, deletes = after - before - text, before - after - text
        if not puts and not deletes and (held is not None or not after):
            return 0
        self.table.write_batch(puts=[word_entry(tenant_id, session_id, w) for w in sorted(puts)],
                               deletes=entry_keys(tenant_id, session_id, deletes))
        if after:
            self.table.update(keys.session_words(tenant_id, session_id), "SET contact_words = :w, tenant_id = :t",
                              {":w": after, ":t": tenant_id})
        elif held is not None:
            self.table.update(keys.session_words(tenant_id, session_id), "REMOVE contact_words")
        return len(puts) + len(deletes)

    def remove_session(self, tenant_id: str, session_id: str) -> int:
        """Every entry of the session and its word set deleted (anonymise, erase). Returns the entries."""
        held = self.table.get(keys.session_words(tenant_id, session_id), consistent=True)
        if held is None:
            return 0
        words = _words_of(held, "text_words") | _words_of(held, "contact_words")
        self.table.write_batch(deletes=[*entry_keys(tenant_id, session_id, words),
                                        keys.session_words(tenant_id, session_id)])
        return len(words)

    # -- one search page ------------------------------------------------------------------------------
    def candidates(self, tenant_id: str, term: str, cursor: str | None, limit: int) -> CandidatePage:
        """The sessions with a word starting with ``term`` (newest sessions of each word first): one Query
        on the term's shard and one BatchGetItem of their session items and word sets."""
        partition = keys.session_word_partition(tenant_id, term[:SHARD_CHARS])
        query: dict[str, Any] = {"KeyConditionExpression": "pk = :pk AND begins_with(sk, :term)",
                                 "ExpressionAttributeValues": {":pk": partition, ":term": term},
                                 "ScanIndexForward": False, "Limit": limit}
        start = decode_cursor(cursor, "pk", partition)
        if start:
            query["ExclusiveStartKey"] = start
        response = self.table.query(**query)
        ids = list(dict.fromkeys(str(item["session_id"]) for item in response["Items"]))
        next_cursor = encode_cursor(response.get("LastEvaluatedKey"))
        if not ids:
            return CandidatePage([], next_cursor)
        wanted = [k for sid in ids for k in (keys.session(tenant_id, sid), keys.session_words(tenant_id, sid))]
        found = {(item["pk"], item["sk"]): item
                 for chunk in range(0, len(wanted), 100) for item in self.table.get_many(wanted[chunk:chunk + 100])}
        page = []
        for sid in ids:
            session = found.get((keys.session(tenant_id, sid)["pk"], "SESSION"))
            if session is None:  # erased meanwhile: a stale entry never shows a session
                continue
            held = found.get((keys.session_words(tenant_id, sid)["pk"], "WORDS"))
            page.append(Candidate(session, _words_of(held, "text_words") | _words_of(held, "contact_words")))
        return CandidatePage(page, next_cursor)
