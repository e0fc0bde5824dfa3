"""Routing rules: the first rule (in order) whose every condition holds picks the group; else the default."""

from __future__ import annotations

from typing import Any


def _matches(
    match: dict[str, Any], session: dict[str, Any], contact: dict[str, Any], in_business_hours: bool | None
) -> bool:
    if match.get("channel_id") and match["channel_id"] != session.get("channel_id"):
        return False
    if match.get("language"):
        language = str(contact.get("language") or "").lower()
        wanted = str(match["language"]).lower()
        if (
            language != wanted
            and not language.startswith(wanted + "-")
            and not language.startswith(wanted + "_")
        ):
            return False
    tags = set(contact.get("tags") or []) | set(session.get("tags") or [])
    if not set(match.get("tags") or []) <= tags:
        return False
    attributes = contact.get("attributes") or {}
    for name, value in (match.get("attributes") or {}).items():
        have = attributes.get(name)
        same = have == value if isinstance(value, bool) or isinstance(have, bool) else str(have) == str(value)
        if have is None or not same:
            return False
    wanted_hours = match.get("in_business_hours")
    if wanted_hours is not None:
        open_now = True if in_business_hours is None else in_business_hours
        if open_now != wanted_hours:
            return False
    return True


def choose_group(
    settings: dict[str, Any], session: dict[str, Any], contact: dict[str, Any], in_business_hours: bool | None
) -> str | None:
    """``settings``: the stored routing rules (``rules``, ``default_group_id``); hours of the channel (None:
    the channel has none, so it counts as open)."""
    for rule in settings.get("rules") or []:
        if _matches(rule.get("match") or {}, session, contact, in_business_hours):
            return str(rule["group_id"])
    default = settings.get("default_group_id")
    return str(default) if default else None
