"""The directory's rules without AWS: what a contact is findable by, when a block ends, what a merge keeps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from switchboard.domain import blocks
from switchboard.domain import contacts as rules
from switchboard.domain import search
from switchboard.errors import InvalidInput

JANA = {"name": "Jana Nováková", "phones": ["+420777123456"], "emails": ["jana.n@firma.cz"], "tags": ["VIP"],
        "attributes": {"crm_id": "C-1"}}


@pytest.mark.parametrize("typed", ["+420 777 123 456", "777123456", "00420777123456", "(777) 123-456",
                                   "NOVÁKOVÁ", "novakova", "jan", "Jana Nov", "jana.n@fir", "firma"])
def test_what_an_operator_types_finds_the_contact(typed: str) -> None:
    terms = search.query_terms(typed)
    assert search.driving_token(terms) in search.index_tokens(JANA)
    assert search.matches(JANA, terms, search.Filters(), blocked_now=False)


@pytest.mark.parametrize("typed", ["novy", "777999", "jana petr", "firma.com"])
def test_what_does_not_belong_to_the_contact_does_not_find_it(typed: str) -> None:
    assert not search.matches(JANA, search.query_terms(typed), search.Filters(), blocked_now=False)


def test_a_long_word_is_indexed_up_to_the_cap_and_checked_in_full() -> None:
    contact = {"name": "Konstantinopolitanus"}
    terms = search.query_terms("konstantinopolitanus")
    assert search.driving_token(terms) == "konstantinop" and "konstantinop" in search.index_tokens(contact)
    assert not search.matches(contact, search.query_terms("konstantinopolis"), search.Filters(), False)


def test_a_contact_has_a_bounded_number_of_index_entries() -> None:
    crowded = {"name": "A " * 5 + "Bartholomew Christopherson Maximilian", "phones": [f"+42077712345{i}" for i in range(5)],
               "emails": [f"someone.long{i}@example{i}.com" for i in range(5)]}
    assert len(search.index_tokens(crowded)) == search.TOKEN_BUDGET


def test_filters_read_tags_attributes_and_times() -> None:
    contact = {**JANA, "created_at": "2026-01-01T00:00:00.000Z", "last_activity_at": "2026-02-01T00:00:00.000Z"}
    assert search.matches(contact, [], search.Filters(tag="vip", attributes={"crm_id": "c-1"}), False)
    assert not search.matches(contact, [], search.Filters(tag="lead"), False)
    assert not search.matches(contact, [], search.Filters(blocked=True), False)
    assert not search.matches(contact, [], search.Filters(created_from="2026-01-02"), False)
    assert search.matches(contact, [], search.Filters(active_from="2026-01-15", active_to="2026-02-02"), False)


NOW = datetime(2026, 3, 4, 12, 30, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize("choice, ends", [
    ("hour", "2026-03-04T13:30:00.000Z"), ("tomorrow", "2026-03-05T00:00:00.000Z"),
    ("next_week", "2026-03-09T00:00:00.000Z"), ("next_month", "2026-04-01T00:00:00.000Z"), ("forever", "forever")])
def test_a_block_ends_at_the_chosen_moment(choice: str, ends: str) -> None:
    assert rules.block_until(choice, NOW) == ends


def test_a_block_until_a_time_needs_a_future_time_with_a_zone() -> None:
    assert rules.block_until("until", NOW, datetime(2026, 3, 6, tzinfo=UTC)) == "2026-03-06T00:00:00.000Z"
    for until in (None, datetime(2026, 3, 6), datetime(2026, 3, 1, tzinfo=UTC)):
        with pytest.raises(InvalidInput) as refused:
            rules.block_until("until", NOW, until)
        assert refused.value.field == "until"
    assert blocks.is_blocked("forever", NOW) and not blocks.is_blocked("2026-03-04T12:00:00.000Z", NOW)


def test_a_merge_keeps_the_targets_values_and_gains_the_sources() -> None:
    target = {"name": "A", "phones": ["+1"], "emails": [], "identities": [], "tags": ["vip"],
              "attributes": {"city": "Brno"}, "created_at": "2026-02", "last_activity_at": "2026-02"}
    source = {"name": "B", "phones": ["+2", "+1"], "emails": ["b@x.cz"], "identities": [{"kind": "wa", "value": "2"}],
              "tags": ["lead"], "attributes": {"city": "Praha", "crm": "9"}, "language": "cs",
              "created_at": "2026-01", "last_activity_at": "2026-03"}
    merged = rules.merged(target, source)
    assert merged["name"] == "A" and merged["phones"] == ["+1", "+2"] and merged["tags"] == ["vip", "lead"]
    assert merged["attributes"] == {"city": "Brno", "crm": "9"} and merged["language"] == "cs"
    assert (merged["created_at"], merged["last_activity_at"]) == ("2026-01", "2026-03")
    assert {c["field"] for c in rules.changes(target, merged)} == {
        "phones", "emails", "identities", "tags", "attributes", "language"}


@pytest.mark.parametrize("kind, value, stored", [
    ("email", " Jana@Example.COM ", "jana@example.com"), ("phone", "00420 777 123 456", "+420777123456"),
    ("wa", "420777123456", "420777123456")])
def test_identifiers_are_normalised(kind: str, value: str, stored: str) -> None:
    assert rules.identifier(kind, value) == (kind, stored)
