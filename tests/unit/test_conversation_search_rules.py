"""The conversation search's pure rules: words, terms, and the filters a candidate must hold."""

from __future__ import annotations

from switchboard.domain import conversation_search as rules
from switchboard.domain.conversation_search import SessionFilters

from infra.declaration import SEARCH_EVENTS


def test_the_function_follows_exactly_the_events_the_index_handles() -> None:
    from switchboard.sessions.search import INDEXED_EVENTS

    assert set(SEARCH_EVENTS) == set(INDEXED_EVENTS)


def test_words_are_folded_and_distinct() -> None:
    assert rules.text_words("Objednávka OBJEDNÁVKA č. 5521", "Re: objednávka") == ["objednavka", "c", "5521", "re"]


def test_a_long_word_is_cut_to_the_cap() -> None:
    assert rules.text_words("x" * 40) == ["x" * rules.WORD_CAP]


def test_a_one_letter_query_has_no_driving_term() -> None:
    assert rules.driving_term(rules.query_terms("a")) is None


def test_the_longest_term_drives() -> None:
    assert rules.driving_term(rules.query_terms("late parcel")) == "parcel"


def test_every_term_must_start_a_word() -> None:
    assert not rules.has_all_terms({"parcel", "late"}, ["parc", "arrived"])


def test_waiting_means_open_and_unassigned() -> None:
    assert not rules.session_matches({"status": "open", "operator_id": "op"}, SessionFilters(waiting=True))


def test_a_session_without_a_channel_kind_is_whatsapp() -> None:
    assert rules.session_matches({"status": "open"}, SessionFilters(channel_kind="whatsapp"))


def test_the_last_activity_range_is_inclusive() -> None:
    session = {"last_activity_at": "2026-01-02T00:00:00.000Z"}
    assert rules.session_matches(session, SessionFilters(last_activity_from="2026-01-02T00:00:00.000Z",
                                                         last_activity_to="2026-01-02T00:00:00.000Z"))
