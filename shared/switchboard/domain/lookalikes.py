"""Addresses that look the same to a person but are different mailboxes: ``ａｌｉｃｅ@`` (full-width),
``аlice@`` (a Cyrillic а), ``oﬀice@`` (the ﬀ ligature). They stay distinct (a mail server compares the
local part as it is, RFC 6531), but their *skeleton* is the same, so a new contact whose address looks
like an existing contact's is flagged ``possible_duplicate_of`` for an operator to merge (docs/contacts.md).

The skeleton: Unicode NFKC (full-width and ligatures to their plain letters), case folded, and the
Cyrillic and Greek letters that are drawn like Latin ones mapped to those (a subset of Unicode's
confusables, UTS #39, for the scripts customers' addresses mix in practice)."""

from __future__ import annotations

import unicodedata

_CONFUSABLES = str.maketrans({
    # Cyrillic (lower case after casefold)
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "һ": "h", "ӏ": "l", "ɡ": "g",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "ω": "w",
})


def skeleton(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().translate(_CONFUSABLES)


def email_skeleton(address: str) -> str:
    """What an address looks like: the skeleton of its local part at its (already normalised) domain."""
    local, _, domain = address.rpartition("@")
    return f"{skeleton(local)}@{domain.lower()}" if local else skeleton(address)
