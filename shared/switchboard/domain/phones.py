"""Phone numbers in E.164, through ``phonenumbers`` (the lite build: same parsing, no geodata)."""

from __future__ import annotations

import phonenumbers

from switchboard.errors import InvalidInput


def to_e164(text: str, default_region: str | None = None, field: str = "phone") -> str:
    """Normalise "+420 777 123 456", "00420777123456" or a WhatsApp id ("420777123456") to E.164."""
    candidate = text.strip()
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    elif default_region is None and not candidate.startswith("+"):
        candidate = "+" + candidate
    try:
        number = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"'{text}' is not a phone number", field=field) from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidInput(f"'{text}' is not a possible phone number", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def wa_id_to_e164(wa_id: str) -> str | None:
    """A WhatsApp id is the number without '+'; None when it does not parse as one."""
    try:
        return to_e164(wa_id)
    except InvalidInput:
        return None
