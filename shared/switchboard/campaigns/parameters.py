"""Per-recipient template parameters: each value is a literal or taken from the recipient's contact.

``resolve(spec, contact)`` turns the campaign's parameter spec (stored as JSON) into the ``parameters`` of a
template send (switchboard.templates.rendering), which then checks them against the template."""

from __future__ import annotations

from typing import Any

from switchboard.errors import InvalidInput

FIELD = "parameters"


def contact_value(contact: dict[str, Any], path: str) -> Any:
    """``contact.name``, ``contact.phone`` (the first), ``contact.email`` (the first), ``contact.language``,
    ``contact.id``, ``contact.attributes.<name>``; None when the contact has no such value."""
    name = path.removeprefix("contact.")
    if name.startswith("attributes."):
        return (contact.get("attributes") or {}).get(name.removeprefix("attributes."))
    if name == "phone":
        return next(iter(contact.get("phones") or []), None)
    if name == "email":
        return next(iter(contact.get("emails") or []), None)
    if name == "id":
        return contact.get("contact_id")
    return contact.get(name)


def _value(source: Any, contact: dict[str, Any], field: str) -> Any:
    if isinstance(source, dict) and "from" in source:
        value = contact_value(contact, source["from"])
        if value in (None, "") and source.get("default") is not None:
            value = source["default"]
        if value in (None, ""):
            raise InvalidInput(f"the contact has no {source['from'].removeprefix('contact.')}", field=field)
        return value
    if isinstance(source, dict) and "value" in source:
        return source["value"]
    return source


def resolve(spec: dict[str, Any], contact: dict[str, Any]) -> dict[str, Any]:
    """The send parameters for one contact. Raises InvalidInput naming the parameter a contact lacks."""
    resolved: dict[str, Any] = {}
    for part in ("header", "body"):
        sources = spec.get(part)
        if isinstance(sources, list):
            resolved[part] = [_value(s, contact, f"{FIELD}.{part}.{i + 1}") for i, s in enumerate(sources)]
        elif isinstance(sources, dict):
            resolved[part] = {name: _value(s, contact, f"{FIELD}.{part}.{name}") for name, s in sources.items()}
    if spec.get("buttons"):
        resolved["buttons"] = [
            {"index": b["index"], "sub_type": b["sub_type"],
             "value": _value(b["value"], contact, f"{FIELD}.buttons.{b['index']}")}
            for b in spec["buttons"]]
    return resolved
