"""A customer pastes a card number into a chat: it is masked before it is stored or shown."""

from __future__ import annotations

import pytest

from switchboard.domain.pii import luhn_valid, mask_card_numbers, mask_in


@pytest.mark.parametrize("text, expected", [
    ("my card is 4111111111111111 thanks", "my card is ••••••••••••1111 thanks"),
    ("4111 1111 1111 1111", "••••••••••••1111"),
    ("4111-1111-1111-1111", "••••••••••••1111"),
    ("amex 3782 822463 10005 ok", "amex •••••••••••0005 ok"),
    ("visa13 4222222222222", "visa13 •••••••••2222"),
    ("unionpay 6250941006528599, ok", "unionpay ••••••••••••8599, ok"),
    ("5555555555554444 4012888888881881", "••••••••••••4444 ••••••••••••1881"),
    ("jcb 3530111333300000.", "jcb ••••••••••••0000."),
    ("two: 5555555555554444 and 4012888888881881", "two: ••••••••••••4444 and ••••••••••••1881"),
])
def test_luhn_valid_card_numbers_are_masked(text: str, expected: str) -> None:
    assert mask_card_numbers(text) == expected


@pytest.mark.parametrize("text", [
    "order 4111111111111112 is late",          # fails Luhn
    "call me on +420 777 123 456",             # a phone number
    "+14155552671",                            # E.164
    "00420777123456",                          # 14 digits, fails Luhn
    "invoice 2024-0001-7788",                  # too short
    "tracking 12345678901234567890123",        # longer than 19 digits
    "0000000000000000",                        # Luhn-valid but a placeholder
    "ref 4111111111111111999",                 # a card glued into a longer number (22 digits)
])
def test_numbers_that_are_not_cards_stay(text: str) -> None:
    assert mask_card_numbers(text) == text


def test_raw_payloads_are_masked_everywhere() -> None:
    payload = {"type": "text", "text": {"body": "pay with 4111 1111 1111 1111"}, "id": "wamid.1", "n": 3}
    masked = mask_in(payload)
    assert masked["text"]["body"] == "pay with ••••••••••••1111"
    assert masked["id"] == "wamid.1" and masked["n"] == 3


def test_luhn() -> None:
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
