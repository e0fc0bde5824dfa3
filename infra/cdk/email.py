"""Email out through SES v2: one configuration set for every message Switchboard sends. Its EventBridge
destination (the account's default bus: SES publishes nowhere else) reports the sending events that a
function declares an ``aws.ses`` trigger for, which become message statuses. Sending identities (tenants'
domains and addresses) are verified after deploying; see docs/deploy.md."""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra.declaration import Function

# EventBridge detail types of the SES sending events that become statuses -> the configuration set's event
# types. Opens, clicks and the rest are not published: add them here when a function declares them.
SENDING_EVENTS = {
    "Email Sent": ses.EmailSendingEvent.SEND,
    "Email Delivered": ses.EmailSendingEvent.DELIVERY,
    "Email Bounced": ses.EmailSendingEvent.BOUNCE,
    "Email Complaint Received": ses.EmailSendingEvent.COMPLAINT,
    "Email Rejected": ses.EmailSendingEvent.REJECT,
    "Email Delivery Delayed": ses.EmailSendingEvent.DELIVERY_DELAY,
}


class Email(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, specs: tuple[Function, ...]) -> None:
        super().__init__(scope, construct_id)
        self.configuration_set = ses.ConfigurationSet(self, "ConfigurationSet")
        listened = sorted({detail_type for spec in specs for trigger in spec.events
                           if trigger.source == "aws.ses" for detail_type in trigger.detail_types})
        unknown = [detail_type for detail_type in listened if detail_type not in SENDING_EVENTS]
        if unknown:
            raise ValueError(f"SES publishes no sending event as {unknown}; known: {sorted(SENDING_EVENTS)}")
        if listened:
            default_bus = events.EventBus.from_event_bus_name(self, "DefaultBus", "default")
            self.configuration_set.add_event_destination(
                "EventBridge", destination=ses.EventDestination.event_bus(default_bus),
                events=[SENDING_EVENTS[detail_type] for detail_type in listened])
