"""Webhook fields other than messages that we act on: template events update the minimal template
record (the template store's key layout, docs/inbound.md) and announce ``webhook.template``; marketing
preferences (``user_preferences``) set the customer's opt-out flag that campaigns read."""

from __future__ import annotations

from typing import Any

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.storage.webhook_updates import WebhookUpdateStore
from switchboard.domain.inbound_queue import WhatsAppEvent

# field -> (attribute group, {template attribute: value key})
TEMPLATE_FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "message_template_status_update": ("status", {"status": "event", "reason": "reason",
                                                  "category": "message_template_category"}),
    "message_template_quality_update": ("quality", {"quality": "new_quality_score",
                                                    "previous_quality": "previous_quality_score"}),
    "template_quality_update": ("quality", {"quality": "new_quality_score",
                                            "previous_quality": "previous_quality_score"}),
    "template_category_update": ("category", {"category": "new_category",
                                              "previous_category": "previous_category"}),
    "message_template_category_update": ("category", {"category": "new_category",
                                                      "previous_category": "previous_category"}),
    "message_template_components_update": ("components", {}),
    "template_components_update": ("components", {}),
}
OPTED_OUT_VALUES = {"stop"}


def apply_field(event: WhatsAppEvent, store: WebhookUpdateStore) -> list[DomainEvent]:
    if event.field in TEMPLATE_FIELDS:
        return apply_template_event(event, store)
    if event.field == "user_preferences":
        return apply_user_preferences(event, store)
    if event.field == "account_update":
        return apply_account_update(event, store) + [_throughput_check(event)]
    if event.field == "phone_number_quality_update":
        return [_throughput_check(event)]
    return []


def _throughput_check(event: WhatsAppEvent) -> DomainEvent:
    """Meta may have changed the number's throughput level: template_sync reads it again
    (switchboard.channels.throughput)."""
    return DomainEvent("webhook.throughput", event.tenant_id, {"channel_id": event.channel_id,
                                                               "waba_id": event.waba_id, "field": event.field})


def apply_account_update(event: WhatsAppEvent, store: WebhookUpdateStore) -> list[DomainEvent]:
    """``account_update``: volume-based pricing tier updates are recorded (switchboard.pricing.tiers)."""
    from switchboard.pricing.tiers import record_tier_update
    from switchboard.storage.costs import CostStore

    return record_tier_update(CostStore(store.table), event.tenant_id, event.channel_id, event.waba_id,
                              event.payload)


def _event_time(event: WhatsAppEvent) -> int:
    if event.entry_time:
        return int(event.entry_time)
    return int(clock.parse_iso(event.received_at).timestamp()) if event.received_at else int(clock.now().timestamp())


def apply_template_event(event: WhatsAppEvent, store: WebhookUpdateStore) -> list[DomainEvent]:
    value = event.payload
    group, mapping = TEMPLATE_FIELDS[event.field]
    template_id = value.get("message_template_id")
    name, language = value.get("message_template_name"), value.get("message_template_language")
    if name and language:
        sort_key = f"{name}#{language}"
    elif template_id is not None:
        sort_key = f"ID#{template_id}"
    else:
        return []
    fields: dict[str, Any] = {"tenant_id": event.tenant_id, "channel_id": event.channel_id,
                              "waba_id": event.waba_id}
    fields.update({k: v for k, v in {"template_id": str(template_id) if template_id is not None else None,
                                      "name": name, "language": language}.items() if v})
    fields.update({attribute: value[key] for attribute, key in mapping.items() if value.get(key) is not None})
    if group == "components":
        fields["components_update"] = {k: v for k, v in value.items() if k.startswith("message_template_")
                                       and k not in ("message_template_id", "message_template_name",
                                                     "message_template_language")}
    if value.get("rejection_info"):
        fields["rejection_info"] = value["rejection_info"]
    if group == "status" and str(value.get("event", "")).upper() == "REJECTED" and value.get("reason"):
        fields["rejected_reason"] = value["reason"]
    if not store.update_template(event.tenant_id, event.channel_id, sort_key, group, _event_time(event), fields):
        return []
    return [DomainEvent("webhook.template", event.tenant_id, {
        "channel_id": event.channel_id, "waba_id": event.waba_id, "template_id": fields.get("template_id"),
        "template_name": name, "language": language, "event": event.field,
        **{k: fields[k] for k in ("status", "quality", "category") if k in fields}})]


def apply_user_preferences(event: WhatsAppEvent, store: WebhookUpdateStore) -> list[DomainEvent]:
    events = []
    for preference in event.payload.get("user_preferences") or []:
        if not isinstance(preference, dict) or preference.get("category", "marketing_messages") != "marketing_messages":
            continue
        address = preference.get("wa_id") or preference.get("user_id")
        if not address or preference.get("timestamp") is None:
            continue
        opted_out = str(preference.get("value", "")).lower() in OPTED_OUT_VALUES
        fields = {k: str(preference[k]) for k in ("value", "detail", "user_id") if preference.get(k)}
        if store.record_opt_out(event.tenant_id, event.channel_id, str(address), opted_out,
                                int(preference["timestamp"]), fields):
            events.append(DomainEvent("contact.marketing_preference", event.tenant_id, {
                "channel_id": event.channel_id, "wa_id": str(address), "opted_out": opted_out}))
    return events
