"""A template send, checked before anything is sent: the template must be APPROVED, and the parameters
must match it exactly (none missing, none extra, each of the right kind). The result is the Graph API
``template`` object (reference §4) and the text the customer sees, stored on the message.

The request shape of ``parameters`` (docs/templates.md)::

    {
      "header":  ["Pablo"] | {"name": "Pablo"}                       text header (positional | named)
               | {"type": "image"|"video"|"document", "link": "https://…" | "id": "…", "filename": "…"}
               | {"latitude": 37.44, "longitude": -122.16, "name": "…", "address": "…"},
      "body":    ["v1", "v2"]  (POSITIONAL: {{1}}, {{2}})  |  {"first_name": "Jessica"}  (NAMED),
      "buttons": [{"index": 0, "sub_type": "url" | "quick_reply" | "copy_code", "value": "…"}]
    }

A refusal is ``InvalidInput`` whose ``field`` names the parameter: ``template.parameters.body.2``,
``template.parameters.body.first_name``, ``template.parameters.header.link``,
``template.parameters.buttons.1`` (the button's index in the template).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from switchboard.errors import Conflict, InvalidInput
from switchboard.templates.models import APPROVED, DELETED, Button, TemplateParts, fill, parts_of

FIELD = "template.parameters"
HEADER_TEXT_LIMIT = 60
BODY_TEXT_LIMIT = 1024
URL_LIMIT = 2000
COUPON_CODE_LIMIT = 15
PAYLOAD_LIMIT = 256  # our bound for quick-reply payloads (echoed back in the button webhook)
_MEDIA_KEYS = {"type", "link", "id", "filename"}
_LOCATION_KEYS = {"latitude", "longitude", "name", "address"}
_BUTTON_KEYS = {"index", "sub_type", "value"}
# Meta refuses body parameters with new lines, tabs or more than four consecutive spaces (132018).
_BODY_FORBIDDEN = re.compile(r"[\n\r\t]| {5,}")


def prepare_template_send(
    template: dict[str, Any], parameters: Any, field: str = FIELD
) -> tuple[dict[str, Any], str]:
    """Check ``parameters`` against a stored template; return (the Graph ``template`` object, the rendered
    text). Raises ``Conflict`` (template_not_approved, template_not_synced, template_not_supported) and
    ``InvalidInput`` naming the missing, extra or malformed parameter."""
    parts = parts_of(template)
    _check_sendable(template, parts)
    if hasattr(parameters, "model_dump"):
        parameters = parameters.model_dump(exclude_none=True)
    if isinstance(parameters, list | tuple) or (
        isinstance(parameters, Mapping) and parameters and not set(parameters) & {"header", "body", "buttons"}
    ):
        parameters = {"body": parameters}  # shorthand: the body's values alone
    given = _as_mapping(
        parameters if parameters is not None else {}, field, "an object with header, body and buttons"
    )
    for key in given:
        if key not in ("header", "body", "buttons"):
            raise InvalidInput(
                f"unexpected key '{key}': parameters take header, body and buttons", field=f"{field}.{key}"
            )
    header_component, header_text = _header(parts, given.get("header"), f"{field}.header")
    body_component, body_text = _body(parts, given.get("body"), f"{field}.body")
    button_components, button_lines = _buttons(parts, given.get("buttons"), f"{field}.buttons")
    components = [c for c in (header_component, body_component) if c] + button_components
    graph = {"name": parts.name, "language": {"code": parts.language}, "components": components}
    rendered = "\n\n".join(p for p in (header_text, body_text, parts.footer, "\n".join(button_lines)) if p)
    return graph, rendered


def _check_sendable(template: dict[str, Any], parts: TemplateParts) -> None:
    label = f"template '{parts.name}' ({parts.language})"
    status = DELETED if template.get("deleted") else (parts.status or "UNKNOWN")
    if status != APPROVED:
        raise Conflict(
            f"{label} is {status}: only APPROVED templates can be sent",
            code="template_not_approved",
            status=status,
            name=parts.name,
            language=parts.language,
        )
    if not parts.has_components:
        raise Conflict(
            f"{label} has not been synced from Meta yet (POST /templates/sync)",
            code="template_not_synced",
            name=parts.name,
            language=parts.language,
        )
    if parts.unsupported:
        raise Conflict(
            f"{label} has parts Switchboard cannot send yet: {', '.join(parts.unsupported)}",
            code="template_not_supported",
            name=parts.name,
            language=parts.language,
        )


# --- values -------------------------------------------------------------------------------------------


def _as_mapping(value: Any, field: str, expected: str) -> Mapping[str, Any]:
    if hasattr(value, "model_dump"):
        value = value.model_dump(exclude_none=True)
    if not isinstance(value, Mapping):
        raise InvalidInput(f"expected {expected}", field=field)
    return value


def _text(value: Any, field: str, limit: int | None = None, body: bool = False) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput("expected a text value", field=field)
    text = str(value)
    if not text.strip():
        raise InvalidInput("the value is empty", field=field)
    if body and _BODY_FORBIDDEN.search(text):
        raise InvalidInput(
            "body parameters may not contain new lines, tabs or more than four spaces in a row", field=field
        )
    if limit is not None and len(text) > limit:
        raise InvalidInput(f"the value is {len(text)} characters; at most {limit} are allowed", field=field)
    return text


def _named_values(
    parts: TemplateParts, names: tuple[str, ...], value: Any, field: str, what: str
) -> dict[str, Any]:
    """Values by placeholder name: a list for positional templates ({{1}} first), an object for both."""
    if value is None:
        value = {}
    if isinstance(value, str | int | float) and not isinstance(value, bool) and len(names) == 1:
        value = {names[0]: value}  # one parameter (a text header's) may be given bare
    if isinstance(value, list | tuple):
        if parts.parameter_format == "NAMED":
            raise InvalidInput(
                f"this template takes named {what} parameters: an object with "
                f"{', '.join(names) or 'no keys'}",
                field=field,
            )
        values = {str(position): item for position, item in enumerate(value, start=1)}
    else:
        values = {str(k): v for k, v in _as_mapping(value, field, f"the {what} parameters").items()}
    for name in names:
        if name not in values or values[name] is None:
            raise InvalidInput(f"missing {what} parameter '{name}'", field=f"{field}.{name}")
    for name in values:
        if name not in names:
            raise InvalidInput(
                f"unexpected {what} parameter '{name}': the template has {_describe(names)}",
                field=f"{field}.{name}",
            )
    return values


def _describe(names: tuple[str, ...]) -> str:
    if not names:
        return "none"
    return ", ".join("{{" + n + "}}" for n in names)


def _text_parameter(parts: TemplateParts, name: str, text: str) -> dict[str, Any]:
    parameter: dict[str, Any] = {"type": "text", "text": text}
    if parts.parameter_format == "NAMED":
        parameter["parameter_name"] = name
    return parameter


# --- header -------------------------------------------------------------------------------------------


def _header(parts: TemplateParts, value: Any, field: str) -> tuple[dict[str, Any] | None, str | None]:
    header = parts.header
    if header is None or not header.needs_value:
        if value not in (None, {}, []):
            raise InvalidInput("unexpected header parameter: this template's header takes none", field=field)
        return None, header.text if header else None
    if header.format == "TEXT":
        values = _named_values(parts, header.parameters, value, field, "header")
        texts = {n: _text(values[n], f"{field}.{n}", HEADER_TEXT_LIMIT) for n in header.parameters}
        rendered = fill(header.text or "", texts)
        if len(rendered) > HEADER_TEXT_LIMIT:
            raise InvalidInput(
                f"the header would be {len(rendered)} characters; WhatsApp allows {HEADER_TEXT_LIMIT}",
                field=field,
            )
        return (
            {
                "type": "header",
                "parameters": [_text_parameter(parts, n, texts[n]) for n in header.parameters],
            },
            rendered,
        )
    if header.format == "LOCATION":
        return _location(value, field)
    return _media(header.media_type or "", value, field)


def _media(media_type: str, value: Any, field: str) -> tuple[dict[str, Any], str]:
    if value is None:
        raise InvalidInput(f"missing header {media_type}: give its link or id", field=field)
    given = _as_mapping(value, field, f'the header {media_type}: {{"link": …}} or {{"id": …}}')
    for key in given:
        if key not in _MEDIA_KEYS or (key == "filename" and media_type != "document"):
            raise InvalidInput(f"unexpected key '{key}' in the header {media_type}", field=f"{field}.{key}")
    if given.get("type") not in (None, media_type):
        raise InvalidInput(
            f"this template's header is {media_type}, not {given.get('type')}", field=f"{field}.type"
        )
    link, media_id = given.get("link"), given.get("id")
    if not link and not media_id:
        raise InvalidInput(f"missing header {media_type}: give its link or id", field=f"{field}.link")
    if link and media_id:
        raise InvalidInput("give the header media's link or its id, not both", field=f"{field}.id")
    media: dict[str, Any] = {}
    if link:
        parsed = urlsplit(str(link))
        if parsed.scheme not in ("https", "http") or not parsed.netloc:
            raise InvalidInput("the header media link must be an http(s) URL", field=f"{field}.link")
        media["link"] = str(link)
    else:
        media["id"] = _text(media_id, f"{field}.id")
    if given.get("filename") is not None:
        media["filename"] = _text(given["filename"], f"{field}.filename", 240)
    rendered = f"[{media_type}: {media['filename']}]" if "filename" in media else f"[{media_type}]"
    return {"type": "header", "parameters": [{"type": media_type, media_type: media}]}, rendered


def _location(value: Any, field: str) -> tuple[dict[str, Any], str]:
    if value is None:
        raise InvalidInput("missing header location: give latitude and longitude", field=field)
    given = _as_mapping(value, field, 'the header location: {"latitude": …, "longitude": …}')
    for key in given:
        if key not in _LOCATION_KEYS:
            raise InvalidInput(f"unexpected key '{key}' in the header location", field=f"{field}.{key}")
    location: dict[str, Any] = {}
    for key, bound in (("latitude", 90.0), ("longitude", 180.0)):
        if given.get(key) is None:
            raise InvalidInput(f"missing the location's {key}", field=f"{field}.{key}")
        try:
            number = float(given[key]) if not isinstance(given[key], bool) else math.nan
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or abs(number) > bound:
            raise InvalidInput(
                f"the {key} must be a number between -{bound:g} and {bound:g}", field=f"{field}.{key}"
            )
        location[key] = str(given[key])
    for key in ("name", "address"):
        if given.get(key) is not None:
            location[key] = _text(given[key], f"{field}.{key}", 1000)
    label = (
        ", ".join(location[k] for k in ("name", "address") if k in location)
        or f"{location['latitude']}, {location['longitude']}"
    )
    return {
        "type": "header",
        "parameters": [{"type": "location", "location": location}],
    }, f"[location: {label}]"


# --- body ---------------------------------------------------------------------------------------------


def _body(parts: TemplateParts, value: Any, field: str) -> tuple[dict[str, Any] | None, str]:
    names = parts.body_parameters
    values = _named_values(parts, names, value, field, "body")
    texts = {n: _text(values[n], f"{field}.{n}", body=True) for n in names}
    rendered = fill(parts.body or "", texts)
    if len(rendered) > BODY_TEXT_LIMIT:
        raise InvalidInput(
            f"the body would be {len(rendered)} characters; WhatsApp allows {BODY_TEXT_LIMIT}", field=field
        )
    if not names:
        return None, rendered
    return {"type": "body", "parameters": [_text_parameter(parts, n, texts[n]) for n in names]}, rendered


# --- buttons ------------------------------------------------------------------------------------------


def _buttons(parts: TemplateParts, value: Any, field: str) -> tuple[list[dict[str, Any]], list[str]]:
    if value is None:
        value = []
    if not isinstance(value, list | tuple):
        raise InvalidInput('expected a list of {"index", "sub_type", "value"}', field=field)
    by_index = {b.index: b for b in parts.buttons}
    given: dict[int, Any] = {}
    for position, entry in enumerate(value):
        entry = _as_mapping(entry, f"{field}.{position}", '{"index", "sub_type", "value"}')
        for key in entry:
            if key not in _BUTTON_KEYS:
                raise InvalidInput(
                    f"unexpected key '{key}' in a button value", field=f"{field}.{position}.{key}"
                )
        index = entry.get("index")
        if isinstance(index, str) and index.isdigit():
            index = int(index)
        if not isinstance(index, int) or isinstance(index, bool):
            raise InvalidInput(
                "each button value needs the button's index", field=f"{field}.{position}.index"
            )
        button = by_index.get(index)
        if button is None:
            raise InvalidInput(
                f"unexpected button {index}: the template has {len(parts.buttons)} buttons",
                field=f"{field}.{index}",
            )
        if button.value_kind is None:
            raise InvalidInput(
                f"unexpected value for button {index} ({button.type} '{button.text}'): it takes none",
                field=f"{field}.{index}",
            )
        if index in given:
            raise InvalidInput(f"button {index} is given twice", field=f"{field}.{index}")
        sub_type = entry.get("sub_type")
        if sub_type is not None and str(sub_type).lower() != button.value_kind:
            raise InvalidInput(
                f"button {index} is a {button.value_kind} button, not {sub_type}",
                field=f"{field}.{index}.sub_type",
            )
        given[index] = entry.get("value")
    components: list[dict[str, Any]] = []
    lines: list[str] = []
    for button in parts.buttons:
        value_field = f"{field}.{button.index}"
        if button.value_kind and given.get(button.index) is None and button.required:
            raise InvalidInput(
                f"missing the value of button {button.index} ({button.type} '{button.text}')",
                field=value_field,
            )
        shown = given.get(button.index)
        if shown is not None and button.value_kind:
            component, shown = _button_value(button, shown, f"{value_field}.value")
            components.append(component)
        lines.append(_button_line(button, shown))
    return components, lines


def _button_value(button: Button, value: Any, field: str) -> tuple[dict[str, Any], str]:
    kind = button.value_kind
    if kind == "url" and button.type == "URL":
        suffix = _text(value, field)
        if any(ch.isspace() for ch in suffix):
            raise InvalidInput("a URL suffix may not contain spaces", field=field)
        suffix = quote(suffix, safe="-._~:/?#[]@!$&'()*+,;=%")  # keep what is already encoded
        url = fill(button.url or "", {"1": suffix})
        if len(url) > URL_LIMIT:
            raise InvalidInput(
                f"the button's URL would be {len(url)} characters; at most {URL_LIMIT}", field=field
            )
        parameter: dict[str, Any] = {"type": "text", "text": suffix}
        shown = url
    elif kind == "url":  # an authentication template's code (OTP button)
        shown = _text(value, field, COUPON_CODE_LIMIT)
        parameter = {"type": "text", "text": shown}
    elif kind == "copy_code":
        shown = _text(value, field, COUPON_CODE_LIMIT)
        parameter = {"type": "coupon_code", "coupon_code": shown}
    else:
        shown = _text(value, field, PAYLOAD_LIMIT)
        parameter = {"type": "payload", "payload": shown}
    return {"type": "button", "sub_type": kind, "index": str(button.index), "parameters": [parameter]}, shown


def _button_line(button: Button, shown: str | None) -> str:
    """How a button appears in the stored text: ``[label]`` and what it leads to."""
    if button.type == "URL":
        target = shown if shown is not None else (button.url or "")
        return f"[{button.text}] {target}".rstrip()
    if button.type == "PHONE_NUMBER":
        return f"[{button.text}] {button.phone_number or ''}".rstrip()
    if button.type == "COPY_CODE" and shown is not None:
        return f"[{button.text}] {shown}"
    return f"[{button.text or button.type.lower()}]"
