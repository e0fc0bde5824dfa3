"""Phone numbers in E.164, through ``phonenumbers`` (the lite build: same parsing, no geodata)."""

from __future__ import annotations

import phonenumbers

from switchboard.errors import InvalidInput


def to_e164(text: str, default_region: str | None = None, field: str = "phone") -> str:
    """Normalise "+420 777 123 456", "00420777123456" or a WhatsApp id ("420777123456") to E.164.

    With ``default_region`` (the tenant's default country, ISO 3166 alpha-2), digits typed without a
    country code are read as a number of that country when they are a valid one there ("777 123 456" in
    CZ), as international when they are a valid international number ("16505551234"), and otherwise as
    whichever reading is at least possible (international first, as without a country)."""
    candidate = text.strip()
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    readings: list[phonenumbers.PhoneNumber] = []
    if candidate.startswith("+"):
        readings.append(_parse(candidate, None, text, field))
    else:
        international = _parse_or_none("+" + candidate)
        national = _parse_or_none(candidate, default_region) if default_region else None
        readings = [n for n in (national, international) if n is not None]
        readings.sort(key=lambda n: 0 if phonenumbers.is_valid_number(n) else 1)  # stable: national first
        if not readings:
            raise InvalidInput(f"'{text}' is not a phone number", field=field)
    for number in readings:
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    possible = [n for n in reversed(readings) if phonenumbers.is_possible_number(n)]
    if not possible:
        raise InvalidInput(f"'{text}' is not a possible phone number", field=field)
    return phonenumbers.format_number(possible[0], phonenumbers.PhoneNumberFormat.E164)


def _parse(candidate: str, region: str | None, text: str, field: str) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"'{text}' is not a phone number", field=field) from exc


def _parse_or_none(candidate: str, region: str | None = None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None


def wa_id_to_e164(wa_id: str) -> str | None:
    """A WhatsApp id is the number without '+'; None when it does not parse as one."""
    try:
        return to_e164(wa_id)
    except InvalidInput:
        return None
