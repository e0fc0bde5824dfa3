"""What a frontend may ask to send: request models (pydantic), validated at the edge with the limits
WhatsApp documents (reference §4)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# What ends a line somewhere (str.splitlines: CR, LF, VT, FF, FS, GS, RS, NEL U+0085, U+2028, U+2029) or
# is a control character: none of them belongs in a mail header, and the header encoder refuses them.
_HEADER_BREAKERS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def one_header_line(value: str | None) -> str | None:
    """A value that goes into a mail header (subject, attachment file name): one line, no control
    characters. Refused at the API (422 naming the field), never accepted and then unsendable."""
    if value is not None and any(c in _HEADER_BREAKERS or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError("must be one line without control characters (no CR, LF, U+0085, U+2028, ...)")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TemplateRef(_Strict):
    name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=2, max_length=15)
    parameters: dict[str, Any] | list[Any] = Field(default_factory=dict)


class MediaRef(_Strict):
    """A file uploaded through POST /sessions/{id}/attachments: its ``key`` names it."""

    key: str = Field(min_length=1, max_length=512)
    caption: str | None = Field(None, max_length=1024)
    filename: str | None = Field(None, max_length=240)
    voice: bool = False


class ReplyButton(_Strict):
    id: str = Field(min_length=1, max_length=256)
    title: str = Field(min_length=1, max_length=20)


class ListRow(_Strict):
    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=24)
    description: str | None = Field(None, max_length=72)


class ListSection(_Strict):
    title: str | None = Field(None, max_length=24)
    rows: list[ListRow] = Field(min_length=1, max_length=10)


class Interactive(_Strict):
    """Reply buttons (``buttons``, at most three), a list (``button`` label and ``sections``), or
    ``request_contact_info``: WhatsApp's button that asks the customer to share their phone number (for a
    customer known only by their business-scoped user id; the shared number lands on the same contact)."""

    type: str = Field(pattern=r"^(button|list|request_contact_info)$")
    body: str = Field(min_length=1, max_length=4096)
    header: str | None = Field(None, max_length=60)
    footer: str | None = Field(None, max_length=60)
    buttons: list[ReplyButton] | None = Field(None, min_length=1, max_length=3)
    button: str | None = Field(None, min_length=1, max_length=20)
    sections: list[ListSection] | None = Field(None, min_length=1, max_length=10)

    @model_validator(mode="after")
    def _shape(self) -> Interactive:
        if self.type == "request_contact_info":
            if self.buttons or self.sections or self.button or self.header or self.footer:
                raise ValueError("a contact info request has a body only")
            if len(self.body) > 1024:
                raise ValueError("the body of a contact info request is at most 1024 characters")
        elif self.type == "button":
            if not self.buttons:
                raise ValueError("reply buttons need 'buttons' (one to three)")
            if len(self.body) > 1024:
                raise ValueError("the body of a button message is at most 1024 characters")
            titles = [b.title for b in self.buttons]
            if len(set(titles)) != len(titles):
                raise ValueError("button titles must be unique")
        else:
            if not self.sections or not self.button:
                raise ValueError("a list needs 'button' (its label) and 'sections'")
            if sum(len(s.rows) for s in self.sections) > 10:
                raise ValueError("a list has at most ten rows in all")
        return self


class EmailAttachment(_Strict):
    """A file uploaded through POST /sessions/{id}/attachments for this session: its ``key`` names it."""

    key: str = Field(min_length=1, max_length=512)
    filename: str | None = Field(None, max_length=240)

    _one_line = field_validator("filename")(one_header_line)


class SendMessageRequest(_Strict):
    """One message in a session: text (``text``, optional ``preview_url``), media (``media``),
    interactive (``interactive``) or a template (``template``); ``reply_to`` quotes a message of the
    session (its ``message_id``). Email sessions take ``text`` with optional ``html``, ``subject`` and
    ``attachments``."""

    text: str | None = Field(None, min_length=1, max_length=4096)
    preview_url: bool = False
    media: MediaRef | None = None
    interactive: Interactive | None = None
    template: TemplateRef | None = None
    reply_to: str | None = Field(None, min_length=1, max_length=64)
    # email
    html: str | None = Field(None, max_length=500_000)
    subject: str | None = Field(None, max_length=998)
    attachments: list[EmailAttachment] | None = Field(None, max_length=20)

    _subject_one_line = field_validator("subject")(one_header_line)

    @model_validator(mode="after")
    def _one_kind(self) -> SendMessageRequest:
        kinds = [name for name in ("media", "interactive", "template") if getattr(self, name) is not None]
        if len(kinds) > 1:
            raise ValueError(f"send one of media, interactive or template, not {' and '.join(kinds)}")
        if kinds and self.text is not None:
            raise ValueError(f"'text' does not go with '{kinds[0]}' (use the caption or the body)")
        if not kinds and self.text is None:
            raise ValueError("a message needs 'text', 'media', 'interactive' or 'template'")
        return self

    @property
    def free_form(self) -> bool:
        """Anything but a template needs the customer's 24-hour window."""
        return self.template is None


class StartSessionRequest(_Strict):
    """A new WhatsApp session to a number that may never have written: a template goes first."""

    channel_id: str = Field(min_length=1, max_length=64)
    phone: str | None = Field(None, min_length=3, max_length=32)
    contact_id: str | None = Field(None, min_length=1, max_length=64)
    template: TemplateRef

    @model_validator(mode="after")
    def _one_recipient(self) -> StartSessionRequest:
        if (self.phone is None) == (self.contact_id is None):
            raise ValueError("give either 'phone' or 'contact_id'")
        return self


class ReopenRequest(_Strict):
    template: TemplateRef | None = None
