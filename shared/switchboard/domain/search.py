"""The search tokenizer: what a contact is findable by, and what a typed query means.

Text is folded (Unicode NFKD, combining marks dropped, lower case) and split into words on anything that
is not a letter or a digit: "Jan Nováček <jan.novacek@example.cz>" gives jan, novacek, example, cz. A
phone number gives its E.164 digits, its national significant number and its national dialling form
("+420 777 123 456" gives 420777123456 and 777123456; "+44 7700 900123" also 07700900123).

The index holds every prefix (1..``PREFIX_CAP`` characters) of every word, one DynamoDB partition per
prefix. A query reads one partition, that of its longest term (cut to ``PREFIX_CAP``), and checks the
other terms and the filters on the contacts it finds (``matches``). Tags and attribute values have
their own exact entries (``tag_token``, ``attribute_token``), so a filter can drive a query too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from switchboard.domain.lookalikes import email_skeleton

PREFIX_CAP = 12
MIN_PHONE_DIGITS = 3
# A transaction holds at most 100 items; a contact's index entries stay well under that.
TOKEN_BUDGET = 80
_WORD = re.compile(r"[0-9a-z]+")
_PHONE_QUERY = re.compile(r"^\+?[\d\s().\-/]+$")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def phone_forms(e164: str) -> list[str]:
    """The digit strings a person may type for a number: E.164 digits, national number, national form."""
    forms = [e164.lstrip("+")]
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return forms
    forms.append(phonenumbers.national_significant_number(number))
    national = re.sub(r"\D", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
    forms.append(national)
    return list(dict.fromkeys(f for f in forms if f))


def tag_token(tag: str) -> str:
    return f"~tag:{fold(tag)}"


def attribute_token(name: str, value: Any) -> str:
    return f"~attr:{name}={fold(str(value))[:64]}"


def contact_words(contact: dict[str, Any]) -> list[str]:
    """The words a contact is found by, most telling first (name, phones, emails, then its channel
    identities: WhatsApp ids, business-scoped user ids and other kinds), so every identifier of a contact
    is findable however it was added (identifying attributes have their own exact entries)."""
    found: list[str] = words(contact.get("name") or "")
    for number in contact.get("phones") or []:
        found += phone_forms(number)
    for address in contact.get("emails") or []:
        found += words(address)
        found += words(email_skeleton(address))  # "аlice@" (Cyrillic а) is found as alice too
    for identity in contact.get("identities") or []:
        found += words(str(identity.get("value") or ""))
    return list(dict.fromkeys(found))


def index_tokens(contact: dict[str, Any]) -> list[str]:
    """The index entries of a contact, most telling first: its tags and attribute values, then the
    prefixes of its words (at most ``TOKEN_BUDGET``)."""
    tokens: list[str] = [tag_token(t) for t in contact.get("tags") or []]
    tokens += [attribute_token(k, v) for k, v in sorted((contact.get("attributes") or {}).items())]
    for word in contact_words(contact):
        start = MIN_PHONE_DIGITS if word.isdigit() else 1
        tokens += [word[:n] for n in range(start, min(len(word), PREFIX_CAP) + 1)]
    return list(dict.fromkeys(tokens))[:TOKEN_BUDGET]


def looks_like_phone(q: str | None) -> bool:
    return bool(q and _PHONE_QUERY.match(q.strip()))


def query_terms(q: str | None, country: str | None = None) -> list[str]:
    """The terms of a typed query. A query that looks like a phone number is one digit string, with an
    international "00" turned into the country code ("00420 777…" is 420777…); with the tenant's default
    ``country``, a whole national number valid there is its E.164 digits ("777 123 456" in CZ is
    420777123456)."""
    if not q or not q.strip():
        return []
    text = q.strip()
    if _PHONE_QUERY.match(text):
        digits = re.sub(r"\D", "", text)
        if digits.startswith("00"):
            digits = digits[2:]
        elif country and not text.startswith("+"):
            digits = _national_as_international(text, country) or digits
        if len(digits) >= MIN_PHONE_DIGITS:
            return [digits]
    return words(text)


def _national_as_international(text: str, country: str) -> str | None:
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


def driving_token(terms: list[str]) -> str:
    """The index partition a query reads: its longest term, cut to the indexed length."""
    return max(terms, key=len)[:PREFIX_CAP]


@dataclass(frozen=True)
class Filters:
    tag: str | None = None
    blocked: bool | None = None
    created_from: str | None = None
    created_to: str | None = None
    active_from: str | None = None
    active_to: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


def matches(contact: dict[str, Any], terms: list[str], filters: Filters, blocked_now: bool) -> bool:
    """Whether a contact answers a query: every term is the start of one of its words, every filter holds."""
    own = contact_words(contact)
    if not all(any(word.startswith(term) for word in own) for term in terms):
        return False
    if filters.tag is not None and fold(filters.tag) not in {fold(t) for t in contact.get("tags") or []}:
        return False
    if filters.blocked is not None and filters.blocked != blocked_now:
        return False
    created = contact.get("created_at") or ""
    if filters.created_from and created < filters.created_from:
        return False
    if filters.created_to and created > filters.created_to:
        return False
    active = contact.get("last_activity_at") or ""
    if filters.active_from and active < filters.active_from:
        return False
    if filters.active_to and (not active or active > filters.active_to):
        return False
    attributes = contact.get("attributes") or {}
    return all(name in attributes and fold(str(attributes[name])) == fold(value)
               for name, value in filters.attributes.items())
