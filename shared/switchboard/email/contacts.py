"""Who a new email thread is with (DESIGN.md §3): of the thread's addresses, ours excluded, in order
(From, then To, then Cc), the first one already in the directory; if none is, the first address, as a
new contact. Pure: the caller looks the addresses up (one BatchGetItem of their identifier items)."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.email import threads
from switchboard.email.mime import Address, ParsedEmail


@dataclass(frozen=True)
class ContactChoice:
    address: Address
    contact_id: str | None  # None: create a contact for ``address``


def thread_addresses(parsed: ParsedEmail, mailbox: str) -> list[Address]:
    """From, To and Cc in order, without ours and without repeats (compared case-insensitively)."""
    seen: set[str] = set()
    found: list[Address] = []
    for address in [*parsed.from_, *parsed.to, *parsed.cc]:
        if address.lower in seen or threads.is_ours(address.address, mailbox):
            continue
        seen.add(address.lower)
        found.append(address)
    return found


def choose_contact(addresses: list[Address], owners: dict[str, str]) -> ContactChoice | None:
    """``owners`` maps a lower-cased address to the contact holding it. None when there is no address."""
    for address in addresses:
        if address.lower in owners:
            return ContactChoice(address, owners[address.lower])
    return ContactChoice(addresses[0], None) if addresses else None
