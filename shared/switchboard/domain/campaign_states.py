"""A campaign's lifecycle and its recipients' states.

A recipient's ``status`` moves forward only, by rank. The ranks of queued..failed are the message
statuses' own (switchboard.domain.messages), because the outbound message's ``status_mirrors`` copy its
statuses onto the recipient item with the same forward-only rule; ``replied`` outranks them all, so a late
delivery receipt never hides a reply; ``skipped`` is final and never mirrored."""

from __future__ import annotations

from typing import Literal

from switchboard.domain.messages import STATUS_RANK

# Campaign lifecycle: draft -> scheduled -> running -> completed; paused and cancelled on request.
DRAFT, SCHEDULED, RUNNING, PAUSED, COMPLETED, CANCELLED = (
    "draft", "scheduled", "running", "paused", "completed", "cancelled")
CampaignStatus = Literal["draft", "scheduled", "running", "paused", "completed", "cancelled"]
ACTIVE = (SCHEDULED, RUNNING)  # a schedule's fire dispatches only these
OPEN_FOR_RECIPIENTS = (DRAFT, SCHEDULED, RUNNING, PAUSED)

RecipientState = Literal["pending", "queued", "sent", "delivered", "read", "failed", "replied", "skipped"]
RECIPIENT_STATES: tuple[str, ...] = ("pending", "queued", "sent", "delivered", "read", "failed", "replied",
                                     "skipped")
PENDING, QUEUED, REPLIED, SKIPPED = "pending", "queued", "replied", "skipped"
RANK_PENDING = -1
RANK_QUEUED = STATUS_RANK["queued"]
RANK_FAILED = STATUS_RANK["failed"]
RANK_REPLIED = 10
RANK_SKIPPED = 20
# Where a recipient's journey ends (delivered and read may still become replied, but nothing is owed).
FINAL_STATES = ("delivered", "read", "failed", "replied", "skipped")


def state_of(status: str) -> str:
    """The state a recipient shows for a stored status ("played" is a voice message's "read")."""
    return "read" if status == "played" else status


def statuses_for(state: str) -> list[str]:
    """The stored statuses that show as ``state``."""
    return ["read", "played"] if state == "read" else [state]


# Why a recipient was skipped: stable codes, with a human detail on the recipient.
SKIP_NO_CONTACT = "contact_not_found"
SKIP_BLOCKED = "blocked"
SKIP_OPTED_OUT = "opted_out"
SKIP_NO_PHONE = "no_phone"
SKIP_BAD_PARAMETERS = "invalid_parameters"
