"""Card numbers never reach the store or the screen: a Luhn-valid run of 13 to 19 digits, written
together or in groups separated by single spaces or dashes, is masked to its last four digits
(as Smartsupp does). Order ids and phone numbers stay: they fail the Luhn check, the length, or the
separator rule (a leading "+" marks a phone number)."""

from __future__ import annotations

import re
from typing import Any

# A run of digit groups separated by single spaces or dashes, not preceded by "+" (a phone number).
_RUN = re.compile(r"(?<![\d+])\d+(?:[ -]\d+)*")
_GROUP = re.compile(r"\d+")
MASK = "•"


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _is_card(digits: str) -> bool:
    # Card numbers never start with 0 (that is an international call prefix) and are not one digit repeated.
    return (13 <= len(digits) <= 19 and digits[0] != "0" and len(set(digits)) > 1 and luhn_valid(digits))


def _mask_run(match: re.Match[str]) -> str:
    """Within a run of groups ("13 4111 1111 1111 1111"), mask the longest consecutive groups that
    form a card number; the rest of the run stays as written."""
    run = match.group(0)
    groups = list(_GROUP.finditer(run))
    for size in range(len(groups), 0, -1):
        for start in range(len(groups) - size + 1):
            chosen = groups[start:start + size]
            digits = "".join(g.group(0) for g in chosen)
            if _is_card(digits):
                begin, end = chosen[0].start(), chosen[-1].end()
                masked = MASK * (len(digits) - 4) + digits[-4:]
                return mask_card_numbers(run[:begin]) + masked + mask_card_numbers(run[end:])
    return run


def mask_card_numbers(text: str) -> str:
    return _RUN.sub(_mask_run, text) if text else text


# Keys whose values are identifiers, never text a person typed: bare phone digits ("from", "to",
# "wa_id"), provider ids, timestamps, hashes.
IDENTIFIER_KEYS = frozenset({"from", "to", "wa_id", "phone", "user_id", "from_user_id", "recipient_id", "id",
                             "message_id", "timestamp", "sha256", "mime_type", "link"})


def mask_in(value: Any, keep: frozenset[str] = frozenset()) -> Any:
    """Mask every string inside a JSON-like value (a provider payload kept raw), except the values of
    the keys in `keep` (identifiers such as a sender's bare phone digits or a provider's message id)."""
    if isinstance(value, str):
        return mask_card_numbers(value)
    if isinstance(value, dict):
        return {key: item if key in keep else mask_in(item, keep) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_in(item, keep) for item in value]
    return value
