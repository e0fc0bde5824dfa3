"""SES events about what we sent (EventBridge, source ``aws.ses``; reference B8) as message statuses:
Delivery -> delivered; Bounce and Reject -> failed with the reason; a Permanent bounce also marks the
address bounced on the contact holding it; Complaint is recorded on the message. Statuses only move
forward (``StatusStore.advance``); an event for a message not stored yet is parked."""

from __future__ import annotations

import json
from typing import Any

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.domain.messages import status_rank
from switchboard.email.store import EmailStore
from switchboard.email.threads import ses_message_ids
from switchboard.services import Services
from switchboard.whatsapp.envelope import QueuedEvent

_STATUS_OF = {"Delivery": "delivered", "Bounce": "failed", "Reject": "failed", "Send": "sent"}


def _event_type(detail: dict[str, Any]) -> str:
    return str(detail.get("eventType") or detail.get("notificationType") or "")


def _at(detail: dict[str, Any], kind: str) -> str:
    body = detail.get(kind.lower()) or {}
    when = body.get("timestamp") or (detail.get("mail") or {}).get("timestamp")
    try:
        return clock.iso(clock.parse_iso(str(when))) if when else clock.iso(clock.now())
    except ValueError:
        return clock.iso(clock.now())


def _failure(detail: dict[str, Any], kind: str) -> dict[str, Any]:
    if kind == "Reject":
        reason = (detail.get("reject") or {}).get("reason") or "rejected by SES"
        return {"error": {"code": "Reject", "title": "Rejected by SES", "details": str(reason)}}
    bounce = detail.get("bounce") or {}
    recipients = bounce.get("bouncedRecipients") or [{}]
    diagnostic = recipients[0].get("diagnosticCode") or recipients[0].get("status") or ""
    bounce_type = str(bounce.get("bounceType") or "Undetermined")
    sub_type = str(bounce.get("bounceSubType") or "")
    return {"error": {"code": f"bounce:{bounce_type}" + (f":{sub_type}" if sub_type else ""),
                      "title": f"{bounce_type} bounce" + (f" ({sub_type})" if sub_type else ""),
                      "details": str(diagnostic)[:1000]},
            "bounce": json.dumps(bounce, separators=(",", ":"))}


def _locate(tenant_id: str, channel_id: str, ses_id: str, region: str, services: Services,
            ) -> dict[str, Any] | None:
    """The message SES is talking about: the provider-id alias the send worker records, or the
    Message-ID alias our deliver() writes."""
    location = services.statuses.locate(tenant_id, ses_id)
    if location:
        return location
    email = EmailStore(services.table)
    for message_id in ses_message_ids(ses_id, region):
        alias = email.alias(tenant_id, channel_id, message_id)
        if alias:
            return alias
    return None


def apply_ses_event(event: QueuedEvent, services: Services) -> list[DomainEvent]:
    detail = event.payload
    kind = _event_type(detail)
    mail = detail.get("mail") or {}
    ses_id = str(mail.get("messageId") or "")
    if not ses_id:
        return []
    t = event.tenant_id
    at = _at(detail, kind)
    events: list[DomainEvent] = []
    if kind == "Bounce" and (detail.get("bounce") or {}).get("bounceType") == "Permanent":
        email = EmailStore(services.table)
        for recipient in (detail.get("bounce") or {}).get("bouncedRecipients") or []:
            address = str(recipient.get("emailAddress") or "").lower()
            if address and (contact_id := email.mark_bounced(t, address, at)):
                events.append(DomainEvent("contact.email_bounced", t, {"contact_id": contact_id}))
    status = _STATUS_OF.get(kind)
    location = _locate(t, event.channel_id, ses_id, str(event.payload.get("region") or ""), services)
    if kind == "Complaint":
        if location:
            services.table.update({"pk": location["message_pk"], "sk": location["message_sk"]},
                                  "SET complaint = :c", {":c": json.dumps(detail.get("complaint") or {})})
            events.append(DomainEvent("message.complaint", t, {"provider_message_id": ses_id,
                                                                "session_id": location.get("session_id")}))
        return events
    if status is None:
        return events
    extra = _failure(detail, kind) if status == "failed" else {}
    if location is None:
        # As WhatsApp statuses: parked, applied when the send worker records the provider id.
        services.statuses.park(t, ses_id, status, {"id": ses_id, "status": status,
                                                                "errors": [extra["error"]] if extra else []})
        return events
    if services.statuses.advance(location, status, status_rank(status), at, extra):
        events.append(DomainEvent("message.status_changed", t, {
            "provider_message_id": ses_id, "session_id": location.get("session_id"), "status": status, "at": at}))
    return events
