"""What the API returns: response models (they also shape the OpenAPI document)."""

from __future__ import annotations

from datetime import timedelta
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from switchboard import clock
from switchboard.domain import sessions
from switchboard.storage.dynamo import strip_keys

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class LastMessage(BaseModel):
    message_id: str
    text: str
    direction: str
    kind: str
    sent_at: str
    status: str | None = None


class SlaTimerView(BaseModel):
    """One SLA target of a session (docs/sla.md): ``active`` (counting, ``due_at`` set), ``paused``
    (awaiting the customer), ``met``, ``breached``, or ``stopped`` (resolved, or no reply needed, first)."""

    model_config = ConfigDict(extra="ignore")

    status: str
    target_seconds: int
    started_at: str | None = None
    due_at: str | None = None
    met_at: str | None = None
    breached_at: str | None = None
    paused_at: str | None = None
    stopped_at: str | None = None
    elapsed_seconds: int | None = None  # counted time (business hours when the group has them), when met

    @classmethod
    def of(cls, item: dict[str, Any] | None) -> SlaTimerView | None:
        return cls.model_validate({**item, "status": item.get("state")}) if item else None


class SlaView(BaseModel):
    """A session's SLA timers under its policy."""

    model_config = ConfigDict(extra="ignore")

    policy_id: str
    first_response: SlaTimerView | None = None
    next_response: SlaTimerView | None = None
    resolution: SlaTimerView | None = None

    @classmethod
    def of(cls, item: dict[str, Any] | None) -> SlaView | None:
        if not item or not item.get("policy_id"):
            return None
        return cls(policy_id=item["policy_id"], **{target: SlaTimerView.of(item.get(target)) for target in
                                                  ("first_response", "next_response", "resolution")})


class CsatView(BaseModel):
    """The customer's answer to the satisfaction survey (docs/reports.md)."""

    rating: int
    comment: str | None = None
    answered_at: str | None = None


class SessionView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session_id: str
    channel_id: str
    contact_id: str
    status: str
    address: str | None = None
    operator_id: str | None = None
    group_id: str | None = None
    created_at: str
    last_activity_at: str
    last_message: LastMessage | None = None
    unread_count: int = 0
    unanswered: bool = False
    last_inbound_at: str | None = None
    window_expires_at: str | None = None
    tags: list[str] = []
    outcome: str | None = None
    resolution_note: str | None = None
    resolved_at: str | None = None
    contact_blocked_until: str | None = None  # the contact's block, "forever" or when it ends
    reopened_at: str | None = None
    subject: str | None = None  # email sessions: the thread's subject
    # The inbox list's columns (kept true after a rename, merge, link, unlink or anonymisation)
    contact_name: str | None = None
    contact_username: str | None = None  # the customer's WhatsApp username, when they have one
    channel_display: str | None = None  # the channel's display number, or the mailbox's address
    last_replied_by: str | None = None  # the operator who wrote the last reply
    # coexistence (docs/coexistence.md): a chat imported from the WhatsApp Business app's history, or one the
    # business started from the app (``started_by: "business_app"``)
    imported: bool = False
    started_by: str | None = None
    sla: SlaView | None = None  # docs/sla.md
    sla_breached: bool = False  # any SLA target of the session breached
    csat: CsatView | None = None  # the CSAT answer, if the customer gave one

    @classmethod
    def of(cls, item: dict[str, Any]) -> SessionView:
        data = strip_keys(item)
        last = data.get("last_message")
        if isinstance(last, dict) and "at" in last:  # stored as "at"
            data["last_message"] = {**{k: v for k, v in last.items() if k != "at"}, "sent_at": last["at"]}
        if data.get("csat_rating") is not None:
            data["csat"] = {"rating": data["csat_rating"], "comment": data.get("csat_comment"),
                            "answered_at": data.get("csat_answered_at")}
        if data.get("last_inbound_at"):
            expires = sessions.window_expires_at(clock.parse_iso(data["last_inbound_at"]))
            data["window_expires_at"] = clock.iso(expires or clock.now() - timedelta(0))
        data["sla"] = SlaView.of(data.get("sla"))
        return cls.model_validate(data)


# defer_build: the models a session list does not show are built when first used, not when the inbox's
# first request imports this module (docs/cold-start-and-cost.md).
class MessageError(BaseModel):
    model_config = ConfigDict(defer_build=True)

    code: int | str | None = None
    title: str | None = None
    details: str | None = None


class MessageView(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    message_id: str
    session_id: str | None = None
    direction: str
    kind: str
    text: str = ""
    status: str | None = None
    statuses: dict[str, str] = {}
    error: MessageError | None = None
    provider_message_id: str | None = None
    reply_to_provider_id: str | None = None
    by: str | None = Field(None, description="the operator who sent it (outbound)")
    sent_at: str
    created_at: str
    suppressed: bool = False
    # Inbound kinds (docs/inbound.md): the kind-specific part, media and what happened to the message.
    content: dict[str, Any] | None = None
    media: MediaView | None = None
    reaction: ReactionView | None = None
    forwarded: bool = False
    frequently_forwarded: bool = False
    referral: dict[str, Any] | None = None
    referred_product: dict[str, Any] | None = None
    provider_errors: list[MessageError] = []
    target_provider_id: str | None = None
    edited_at: str | None = None
    revoked_at: str | None = None
    call: CallView | None = None  # kind "call": who placed it, how it ended, how long it lasted
    # email messages: subject, from/to/cc/reply_to, html (or html_key), attachments, message ids, raw_key
    email: dict[str, Any] | None = None
    email_message_ids: list[str] = []  # our outbound email's Message-ID and the one SES gave it
    # coexistence (docs/coexistence.md): typed in the WhatsApp Business app (an echo, or imported history)
    sent_from: str | None = Field(None, description="business_app: typed in the WhatsApp Business app")
    imported: bool = False  # from the history the business shared
    history_status: str | None = None  # the status Meta's history gave it (history_context.status)

    @classmethod
    def of(cls, item: dict[str, Any], media_url: Callable[[str], str] | None = None) -> MessageView:
        """``media_url`` turns a stored file's key into a short-lived download URL."""
        data = strip_keys(item, extra=("raw", "raw_z"))
        data["by"] = data.pop("operator_id", None)  # stored as operator_id
        reaction = data.get("reaction")
        if isinstance(reaction, dict) and "at" in reaction:  # stored as "at"
            data["reaction"] = {**{k: v for k, v in reaction.items() if k != "at"}, "reacted_at": reaction["at"]}
        if data.get("kind") == "call":
            data["call"] = CallView.of(data)
        media = data.get("media")
        if media_url and isinstance(media, dict) and media.get("status") == "available" and media.get("s3_key"):
            data["media"] = {**media, "download_url": media_url(media["s3_key"])}
        return cls.model_validate(data)


class CallView(BaseModel):
    """A WhatsApp call on the timeline (Calling API webhooks; no media): ``outcome`` is its latest status
    (ringing, accepted, rejected, completed, failed), ``duration_seconds`` is Meta's, once it ended."""

    model_config = ConfigDict(defer_build=True)

    call_id: str | None = None
    direction: str = Field(description="in: the customer called; out: the business called")
    outcome: str
    started_at: str | None = None
    ended_at: str | None = None
    duration_seconds: int | None = None

    @classmethod
    def of(cls, item: dict[str, Any]) -> CallView:
        call = item.get("call_times") if isinstance(item.get("call_times"), dict) else {}
        content = item.get("content") if isinstance(item.get("content"), dict) else {}

        def moment(name: str) -> str | None:
            value = call.get(name)
            return clock.iso(clock.from_unix(value)) if value not in (None, "") else None

        duration = call.get("duration")
        return cls(call_id=item.get("provider_message_id") or content.get("id"), direction=item["direction"],
                   outcome=item.get("status") or "ringing", started_at=moment("start_time"),
                   ended_at=moment("end_time"), duration_seconds=int(duration) if duration is not None else None)


class ReactionView(BaseModel):
    """The customer's reaction to this message (the latest; a removed reaction is none)."""

    model_config = ConfigDict(extra="ignore")

    emoji: str
    reacted_at: str | None = None
    provider_message_id: str | None = None


class MediaView(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    status: str
    media_id: str | None = None
    mime_type: str | None = None
    filename: str | None = None
    size: int | None = None
    sha256_hex: str | None = None
    voice: bool | None = None
    animated: bool | None = None
    attempts: int = 0
    error: str | None = None
    download_url: str | None = None


class StartedSession(BaseModel):
    """POST /sessions: the new session (awaiting the customer) and its template message."""

    model_config = ConfigDict(defer_build=True)

    session: SessionView
    message: MessageView


class NoteView(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    note_id: str
    session_id: str
    text: str
    by: str
    created_at: str

    @classmethod
    def of(cls, item: dict[str, Any]) -> NoteView:
        data = strip_keys(item)
        data["by"] = data.pop("author_id", None) or data.get("by")  # stored as author_id
        return cls.model_validate(data)
