"""An operator shows the customer they are typing (WhatsApp's typing indicator, with the read receipt)."""

from __future__ import annotations


from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel, Field

from switchboard.api.auth import principal_of
from switchboard.api.params import ResourceId
from switchboard.services import services
from switchboard.sessions.typing import send_typing

router = Router()

SessionId = ResourceId


class TypingView(BaseModel):
    session_id: str
    message_id: str = Field(description="the provider id of the customer's message marked read")
    sent_at: str
    expires_at: str = Field(description="when WhatsApp dismisses the indicator if no reply comes (25 s)")


@router.post("/sessions/<session_id>/typing", summary="Show the customer a typing indicator (and read their last "
             "message); inside the 24-hour window, once per 5 seconds per session", tags=["sessions"],
             responses={409: {"description": "window_closed, not_whatsapp or nothing_to_answer"},
                        429: {"description": "rate_limited: see Retry-After"}})
def typing(session_id: SessionId) -> TypingView:
    return TypingView(**send_typing(services(), principal_of(router.current_event), session_id))
