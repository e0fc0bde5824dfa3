"""Linking a session to an existing contact, or unlinking it (the session gets a fresh contact)."""

from __future__ import annotations


from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.auth import principal_of
from switchboard.api.params import ResourceId
from switchboard.api.views import SessionView
from switchboard.contacts import linking
from switchboard.contacts.models import LinkIn
from switchboard.services import services

router = Router()

SessionId = ResourceId


@router.put("/sessions/<session_id>/contact", summary="Link the session to an existing contact",
            tags=["sessions"])
def link_session(session_id: SessionId, body: LinkIn) -> SessionView:
    principal = principal_of(router.current_event)
    session = linking.link(services(), principal.tenant_id, session_id, body.contact_id,
                           principal.operator_id)
    return SessionView.of(session)


@router.delete("/sessions/<session_id>/contact", summary="Unlink the session: it gets a fresh contact",
               tags=["sessions"])
def unlink_session(session_id: SessionId) -> SessionView:
    principal = principal_of(router.current_event)
    session = linking.link(services(), principal.tenant_id, session_id, None, principal.operator_id)
    return SessionView.of(session)
