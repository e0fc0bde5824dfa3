"""Channels of the caller's tenant (admins): list them, and add a WhatsApp number or a mailbox."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.auth import principal_of
from switchboard.api.views import Page
from switchboard.domain.channels import Channel
from switchboard.services import services

router = Router()


@router.get("/channels", summary="The tenant's channels (admins)", tags=["channels"])
def list_channels() -> Page[Channel]:
    principal = principal_of(router.current_event)
    principal.require_admin()
    return Page[Channel](items=services().channels.list(principal.tenant_id))
