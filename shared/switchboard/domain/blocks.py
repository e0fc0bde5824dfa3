"""The one rule for "is this contact blocked": a block is ``"forever"`` or the time it ends.

The contact's profile holds the block; thread pointers carry a copy that is only a hint (the inbound path
checks the profile in its transaction), so a block follows the contact onto every channel."""

from __future__ import annotations

from datetime import datetime

from switchboard import clock

FOREVER = "forever"


def is_blocked(blocked_until: str | None, now: datetime) -> bool:
    """Whether a block (``blocked_until`` as stored) still holds at ``now``; times compare as times."""
    if not blocked_until:
        return False
    return blocked_until == FOREVER or clock.parse_iso(str(blocked_until)) > now
