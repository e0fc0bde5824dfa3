"""A template as Meta describes it (reference §8), read into its parts, and what a send must supply.

The stored record keeps Meta's ``components`` whole (as JSON text); this module is the one reader of
them. Positional templates number their parameters ``{{1}}``, ``{{2}}``; named ones use
``{{first_name}}``. URL buttons carry at most one variable, at the end of the URL, and it is always ``{{1}}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

APPROVED = "APPROVED"
DELETED = "DELETED"
STATUSES = (
    "APPROVED",
    "PENDING",
    "REJECTED",
    "PAUSED",
    "DISABLED",
    "IN_APPEAL",
    "REINSTATED",
    "FLAGGED",
    "PENDING_DELETION",
    "DELETED",
    "LIMIT_EXCEEDED",
    "ARCHIVED",
    "UNARCHIVED",
    "LOCKED",
)
CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")

# Header formats whose value is a media object at send time, and the parameter type Meta expects.
MEDIA_HEADERS = {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document"}
SUPPORTED_HEADERS = ("TEXT", "LOCATION", *MEDIA_HEADERS)

ValueKind = Literal["url", "quick_reply", "copy_code"]

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
# Buttons whose send needs a structured action we do not build (multi/single product messages).
_UNSUPPORTED_BUTTONS = ("MPM", "SPM")
_UNSUPPORTED_COMPONENTS = ("CAROUSEL", "LIMITED_TIME_OFFER")


def placeholders(text: str | None) -> list[str]:
    """The distinct placeholders of a text, in order of first appearance."""
    seen: list[str] = []
    for name in _PLACEHOLDER.findall(text or ""):
        if name not in seen:
            seen.append(name)
    return seen


def fill(text: str, values: dict[str, str]) -> str:
    """The text with each ``{{name}}`` replaced by its value (unknown placeholders stay as they are)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


@dataclass(frozen=True)
class Header:
    format: str  # TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION (PRODUCT, GIF: not supported for sending)
    text: str | None = None
    parameters: tuple[str, ...] = ()

    @property
    def media_type(self) -> str | None:
        return MEDIA_HEADERS.get(self.format)

    @property
    def needs_value(self) -> bool:
        return bool(self.parameters) or self.format in ("LOCATION", *MEDIA_HEADERS)


@dataclass(frozen=True)
class Button:
    index: int
    type: str  # URL, QUICK_REPLY, COPY_CODE, PHONE_NUMBER, OTP, VOICE_CALL, FLOW, ...
    text: str = ""
    url: str | None = None
    phone_number: str | None = None
    otp_type: str | None = None

    @property
    def value_kind(self) -> ValueKind | None:
        """The ``sub_type`` of the value this button takes at send time, if it takes one."""
        if self.type == "URL":
            return "url" if placeholders(self.url) else None
        if self.type == "OTP":
            return "url"  # authentication codes travel as a URL-button parameter (copy code, one tap)
        if self.type == "QUICK_REPLY":
            return "quick_reply"
        if self.type == "COPY_CODE":
            return "copy_code"
        return None

    @property
    def required(self) -> bool:
        """Quick-reply payloads are optional (Meta then echoes the button text); other values are not."""
        return self.value_kind in ("url", "copy_code")


@dataclass(frozen=True)
class TemplateParts:
    name: str
    language: str
    status: str
    parameter_format: Literal["POSITIONAL", "NAMED"]
    header: Header | None = None
    body: str | None = None
    body_parameters: tuple[str, ...] = ()
    footer: str | None = None
    buttons: tuple[Button, ...] = ()
    unsupported: tuple[str, ...] = field(default_factory=tuple)

    @property
    def has_components(self) -> bool:
        return self.body is not None

    def needs(self) -> dict[str, Any]:
        """What a send must supply, as GET /templates shows it."""
        header: dict[str, Any] | None = None
        if self.header and self.header.needs_value:
            header = {"format": self.header.format, "parameters": list(self.header.parameters)}
        return {
            "format": self.parameter_format,
            "header": header,
            "body": list(self.body_parameters),
            "buttons": [
                {"index": b.index, "sub_type": b.value_kind, "required": b.required, "text": b.text}
                for b in self.buttons
                if b.value_kind
            ],
        }


def _numbered(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Positional placeholders in number order: ``{{1}}`` takes the first value, whatever the wording."""
    return tuple(sorted(names, key=lambda n: (not n.isdigit(), int(n) if n.isdigit() else 0, n)))


def components_of(template: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The components of a stored record (JSON text) or of a Graph API answer (a list)."""
    raw = template.get("components")
    if raw is None or raw == "":
        return None
    value = json.loads(raw) if isinstance(raw, str) else raw
    return value if isinstance(value, list) else None


def parts_of(template: dict[str, Any]) -> TemplateParts:
    components = components_of(template) or []
    header: Header | None = None
    body: str | None = None
    footer: str | None = None
    buttons: list[Button] = []
    unsupported: list[str] = []
    for component in components:
        kind = str(component.get("type", "")).upper()
        if kind == "HEADER":
            header_format = str(component.get("format", "TEXT")).upper()
            text = component.get("text") if header_format == "TEXT" else None
            header = Header(header_format, text, tuple(placeholders(text)))
            if header_format not in SUPPORTED_HEADERS:
                unsupported.append(f"{header_format} header")
        elif kind == "BODY":
            body = component.get("text") or ""
        elif kind == "FOOTER":
            footer = component.get("text")
        elif kind == "BUTTONS":
            for index, button in enumerate(component.get("buttons") or []):
                button_type = str(button.get("type", "")).upper()
                buttons.append(
                    Button(
                        index,
                        button_type,
                        button.get("text") or "",
                        button.get("url"),
                        button.get("phone_number"),
                        button.get("otp_type"),
                    )
                )
                if button_type in _UNSUPPORTED_BUTTONS:
                    unsupported.append(f"{button_type} button")
        elif kind in _UNSUPPORTED_COMPONENTS:
            unsupported.append(kind.lower())
    if components and body is None:
        body = ""  # a template without a BODY component is not something Meta approves, but do not crash
    parameter_format = (
        "NAMED" if str(template.get("parameter_format") or "").upper() == "NAMED" else "POSITIONAL"
    )
    if header is not None and parameter_format == "POSITIONAL":
        header = Header(header.format, header.text, _numbered(header.parameters))
    body_parameters = placeholders(body)
    return TemplateParts(
        name=str(template.get("name", "")),
        language=str(template.get("language", "")),
        status=str(template.get("status") or "").upper(),
        parameter_format=parameter_format,  # type: ignore[arg-type]
        header=header,
        body=body,
        footer=footer,
        body_parameters=_numbered(body_parameters)
        if parameter_format == "POSITIONAL"
        else tuple(body_parameters),
        buttons=tuple(buttons),
        unsupported=tuple(unsupported),
    )
