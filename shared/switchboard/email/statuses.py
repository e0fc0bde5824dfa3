"""SES events about what we sent (EventBridge, source ``aws.ses``; reference B8) as message statuses:
Delivery -> delivered; Bounce and Reject -> failed with the reason; a Permanent bounce also marks the
address bounced on the contact holding it; Complaint is recorded on the message. They go through the
same ``apply_status`` as WhatsApp's: forward only, parked when the message's provider id is not recorded
yet."""

from __future__ import annotations

import json
from typing import Any

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.storage.email import EmailStore
from switchboard.inbound.statuses import apply_status
from switchboard.services import Services
from switchboard.domain.inbound_queue import EmailEvent

_STATUS_OF = {"Delivery": "delivered", "Bounce": "failed", "Reject": "failed", "Send": "sent"}


def _event_type(detail: dict[str, Any]) -> str:
    return str(detail.get("eventType") or detail.get("notificationType") or "")


def _at(detail: dict[str, Any], kind: str) -> int:
    """The event's time, as the unix seconds a status payload carries."""
    body = detail.get(kind.lower()) or {}
    when = body.get("timestamp") or (detail.get("mail") or {}).get("timestamp")
    try:
        return int(clock.parse_iso(str(when)).timestamp()) if when else int(clock.now().timestamp())
    except ValueError:
        return int(clock.now().timestamp())


def _error(detail: dict[str, Any], kind: str) -> dict[str, Any]:
    """The failure as a status payload's error (code, title, details), like Meta's."""
    if kind == "Reject":
        reason = (detail.get("reject") or {}).get("reason") or "rejected by SES"
        return {"code": "Reject", "title": "Rejected by SES", "error_data": {"details": str(reason)}}
    bounce = detail.get("bounce") or {}
    recipients = bounce.get("bouncedRecipients") or [{}]
    diagnostic = recipients[0].get("diagnosticCode") or recipients[0].get("status") or ""
    bounce_type = str(bounce.get("bounceType") or "Undetermined")
    sub_type = str(bounce.get("bounceSubType") or "")
    return {"code": f"bounce:{bounce_type}" + (f":{sub_type}" if sub_type else ""),
            "title": f"{bounce_type} bounce" + (f" ({sub_type})" if sub_type else ""),
            "error_data": {"details": str(diagnostic)[:1000]}}


def apply_ses_event(event: EmailEvent, services: Services) -> list[DomainEvent]:
    """One SES event, located by SES's MessageId (the provider-id alias the send worker records)."""
    detail = event.payload
    kind = _event_type(detail)
    ses_id = str((detail.get("mail") or {}).get("messageId") or "")
    if not ses_id:
        return []
    t = event.tenant_id
    events: list[DomainEvent] = []
    if kind == "Bounce" and (detail.get("bounce") or {}).get("bounceType") == "Permanent":
        email = EmailStore(services.table)
        at_iso = clock.iso(clock.from_unix(_at(detail, kind)))
        for recipient in (detail.get("bounce") or {}).get("bouncedRecipients") or []:
            address = str(recipient.get("emailAddress") or "").lower()
            if address and (contact_id := email.mark_bounced(t, address, at_iso)):
                events.append(DomainEvent("contact.email_bounced", t, {"contact_id": contact_id}))
    if kind == "Complaint":
        location = services.statuses.locate(t, ses_id)
        if location and location.get("message_pk"):
            EmailStore(services.table).record_complaint(location, json.dumps(detail.get("complaint") or {}))
            events.append(DomainEvent("message.complaint", t, {"provider_message_id": ses_id,
                                                                "session_id": location.get("session_id")}))
        return events
    status = _STATUS_OF.get(kind)
    if status is None:
        return events
    payload: dict[str, Any] = {"id": ses_id, "status": status, "timestamp": str(_at(detail, kind))}
    if status == "failed":
        payload["errors"] = [_error(detail, kind)]
    return events + apply_status(t, payload, services.statuses)
