"""Which domain events reach whom, and which entity each one changes.

Operators' frontends receive the inbox changes an operator may read through the REST API: messages,
sessions and contacts of their tenant. Events about administration (webhook subscriptions, webhook-level
errors, campaigns) reach admins only, as their REST routes do. Webhook subscriptions may ask for any
event type listed here."""

from __future__ import annotations

from typing import Any

OPERATORS = "operators"
ADMINS = "admins"

# detail type -> who may receive it
AUDIENCE: dict[str, str] = {
    **dict.fromkeys((
        "message.received", "message.sent", "message.status_changed", "message.failed",
        "message.media_available", "message.complaint",
        "session.created", "session.routed", "session.assigned", "session.resolved", "session.reopened",
        "session.read", "session.queued", "session.unrouted", "session.taken", "session.transferred",
        "session.away_message_sent", "session.note_added", "presence.changed",
        # SLA timers and unanswered alerts (docs/sla.md)
        "session.sla_breached", "session.sla_met", "session.unanswered_alert", "session.no_reply_needed",
        "session.csat_requested", "session.csat_received",
        "contact.created", "contact.updated", "contact.merged", "contact.blocked", "contact.unblocked",
        "contact.erased", "contact.anonymized", "contact.email_bounced", "contact.marketing_preference",
    ), OPERATORS),
    **dict.fromkeys((
        "campaign.dispatched", "webhook.errors", "webhook.field", "webhook.template",
        "webhook_subscription.paused", "webhook_subscription.test",
        "operator.invited", "operator.updated", "operator.disabled", "operator.enabled", "operator.deleted",
        "group.created", "group.updated", "group.deleted", "routing_rules.updated", "canned_response.created",
        "history.imported", "history.declined",  # coexistence: the shared chat history (docs/coexistence.md)
        "pricing.tier_updated",
        "sla_policy.created", "sla_policy.updated", "sla_policy.deleted",
    ), ADMINS),
}

EVENT_TYPES = tuple(AUDIENCE)

# The entity an event's version counts changes of: the first of these ids its detail names.
_ENTITY_IDS = (("message", "message_id"), ("session", "session_id"), ("contact", "contact_id"),
               ("campaign", "campaign_id"), ("webhook_subscription", "subscription_id"),
               ("operator", "operator_id"), ("group", "group_id"))


def entity_of(detail_type: str, detail: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, id) of the entity the event is about: the kind its type names, else the first id present."""
    prefix = detail_type.split(".", 1)[0]
    for kind, attribute in _ENTITY_IDS:
        if kind == prefix and detail.get(attribute):
            return kind, str(detail[attribute])
    if prefix == "message" and detail.get("provider_message_id"):
        return "message", str(detail["provider_message_id"])
    for kind, attribute in _ENTITY_IDS:
        if detail.get(attribute):
            return kind, str(detail[attribute])
    return None


def may_receive(detail_type: str, detail: dict[str, Any], role: str) -> bool:
    """Whether an operator of this role sees the event (a blocked contact's message is not in the inbox)."""
    audience = AUDIENCE.get(detail_type)
    if audience is None:
        return False
    if detail_type == "message.received" and detail.get("suppressed"):
        return False
    return audience == OPERATORS or role == "admin"
