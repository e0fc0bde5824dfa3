"""Rules of a contact: normalised emails and phones, the identifiers a contact holds, blocks, and the
differences between two versions of a contact (what the history records)."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any, Literal

from switchboard import clock
from switchboard.domain.phones import to_e164
from switchboard.errors import InvalidInput

IDENTITY_KINDS = ("wa", "bsuid")
PLAIN_KINDS = ("phone", "email", *IDENTITY_KINDS)
BlockFor = Literal["hour", "tomorrow", "next_week", "next_month", "forever", "until"]
# The fields of a contact an operator edits; each change is one line of the history.
EDITABLE = ("name", "phones", "emails", "identities", "attributes", "tags", "language")


def email(text: str, field: str = "emails") -> str:
    # Imported by the first address checked: the inbound path (which stores contacts) needs none (27 ms).
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"not an email address: {exc}", field=field) from exc
    return result.normalized.lower()


def phone(text: str, field: str = "phones", country: str | None = None) -> str:
    """E.164; ``country`` (the tenant's default) reads a national number such as "777 123 456"."""
    return to_e164(text, country, field=field)


def tag(text: str, field: str = "tags") -> str:
    value = text.strip().lower()
    if not value or len(value) > 64:
        raise InvalidInput("a tag is 1 to 64 characters", field=field)
    return value


def identifier(kind: str, value: str, field: str = "value", country: str | None = None) -> tuple[str, str]:
    """One identifier as the store keys it: ``(kind, normalised value)``."""
    if kind == "phone":
        return kind, phone(value, field, country)
    if kind == "email":
        return kind, email(value, field)
    if kind in IDENTITY_KINDS:
        cleaned = value.strip()
        if not cleaned or len(cleaned) > 128 or "#" in cleaned:
            raise InvalidInput("an identity is 1 to 128 characters without '#'", field=field)
        return kind, cleaned
    if kind.startswith("attr:") and len(kind) > 5:
        cleaned = value.strip()
        if not cleaned or len(cleaned) > 256:
            raise InvalidInput("an attribute value is 1 to 256 characters", field=field)
        return kind, cleaned
    raise InvalidInput(f"unknown identifier kind '{kind}'", field="kind")


def identifiers_of(contact: dict[str, Any], identifying: set[str]) -> set[tuple[str, str]]:
    """Every identifier a contact holds: phones, emails, channel identities, identifying attributes."""
    found = {("phone", p) for p in contact.get("phones", [])}
    found |= {("email", e) for e in contact.get("emails", [])}
    found |= {(i["kind"], i["value"]) for i in contact.get("identities", [])}
    found |= {(f"attr:{name}", str(value)) for name, value in (contact.get("attributes") or {}).items()
              if name in identifying and value not in (None, "")}
    return found


def block_until(choice: BlockFor, now: datetime, until: datetime | None = None) -> str:
    """When a block ends: an ISO time, or "forever". Days, weeks and months start at midnight UTC."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if choice == "hour":
        return clock.iso(now + timedelta(hours=1))
    if choice == "tomorrow":
        return clock.iso(midnight + timedelta(days=1))
    if choice == "next_week":
        return clock.iso(midnight + timedelta(days=7 - midnight.weekday()))
    if choice == "next_month":
        days = calendar.monthrange(now.year, now.month)[1]
        return clock.iso(midnight.replace(day=1) + timedelta(days=days))
    if choice == "forever":
        return "forever"
    if until is None:
        raise InvalidInput("'until' is required when blocking until a chosen time", field="until")
    if until.tzinfo is None:
        raise InvalidInput("'until' needs a time zone", field="until")
    if until <= now:
        raise InvalidInput("'until' must be in the future", field="until")
    return clock.iso(until)


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed between two versions of a contact: ``[{field, old, new}]``."""
    found = []
    for name in EDITABLE:
        before, after = old.get(name), new.get(name)
        if (before or None) != (after or None):
            found.append({"field": name, "old": before, "new": after})
    return found


def merged(target: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """The surviving contact of a merge: the target keeps its values, gains what only the source had."""
    def union(name: str) -> list[Any]:
        values = list(target.get(name) or [])
        values += [v for v in source.get(name) or [] if v not in values]
        return values

    result = dict(target)
    for name in ("phones", "emails", "identities", "tags"):
        result[name] = union(name)
    result["attributes"] = {**(source.get("attributes") or {}), **(target.get("attributes") or {})}
    result["name"] = target.get("name") or source.get("name")
    result["language"] = target.get("language") or source.get("language")
    result["created_at"] = min(target["created_at"], source["created_at"])
    activity = [t for t in (target.get("last_activity_at"), source.get("last_activity_at")) if t]
    if activity:
        result["last_activity_at"] = max(activity)
    return result
