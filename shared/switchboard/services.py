"""The wiring of one process: repositories and clients, created on first use and shared.

Handlers ask for ``services()`` when invoked (never at import time); tests and the local runtime call
``reset_services()`` after changing the environment or the AWS backend. Each property imports its module
when first used, so a function pays at cold start only for what it touches (import time is measured by
``make bench``)."""

from __future__ import annotations

from functools import cache, cached_property
from typing import TYPE_CHECKING

from switchboard import aws
from switchboard.config import Settings, get_settings, reset_settings

if TYPE_CHECKING:
    from switchboard.clients.identity import IdentityProvider
    from switchboard.clients.scheduler import Scheduler
    from switchboard.clients.sqs import Queue
    from switchboard.contacts.directory import Directory
    from switchboard.realtime.publishing import VersionedBus
    from switchboard.storage.campaigns import CampaignRepository
    from switchboard.storage.channels import ChannelRepository
    from switchboard.storage.connections import ConnectionStore
    from switchboard.storage.contact_search import ContactSearchStore
    from switchboard.storage.contacts import ContactStore
    from switchboard.storage.conversations import ConversationStore
    from switchboard.storage.dynamo import Table
    from switchboard.storage.event_log import EventLog
    from switchboard.storage.history import HistoryStore
    from switchboard.storage.history_imports import HistoryImportStore
    from switchboard.storage.media import MediaStore
    from switchboard.storage.sessions import SessionRepository
    from switchboard.storage.sla import SessionSlaStore, SlaPolicyRepository
    from switchboard.storage.statuses import StatusStore
    from switchboard.storage.team import (
        CannedResponseRepository,
        GroupRepository,
        OperatorRepository,
        TeamSettingsRepository,
    )
    from switchboard.storage.templates import TemplateRepository
    from switchboard.storage.tenants import TenantSettingsStore
    from switchboard.storage.webhook_subscriptions import WebhookSubscriptionStore
    from switchboard.storage.webhook_updates import WebhookUpdateStore


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def table(self) -> Table:
        from switchboard.storage.dynamo import Table
        return Table(self.settings.need("data_table_name"))

    @cached_property
    def tenants(self) -> TenantSettingsStore:
        from switchboard.storage.tenants import TenantSettingsStore
        return TenantSettingsStore(self.table)

    @cached_property
    def channels(self) -> ChannelRepository:
        from switchboard.storage.channels import ChannelRepository
        return ChannelRepository(self.table)

    @cached_property
    def conversations(self) -> ConversationStore:
        from switchboard.storage.conversations import ConversationStore
        return ConversationStore(self.table)

    @cached_property
    def statuses(self) -> StatusStore:
        from switchboard.storage.statuses import StatusStore
        return StatusStore(self.table)

    @cached_property
    def media(self) -> MediaStore:
        from switchboard.storage.media import MediaStore
        return MediaStore(self.table, self.settings.media_bucket_name)

    @cached_property
    def webhook_updates(self) -> WebhookUpdateStore:
        from switchboard.storage.webhook_updates import WebhookUpdateStore
        return WebhookUpdateStore(self.table)

    @cached_property
    def history_imports(self) -> HistoryImportStore:
        from switchboard.storage.history_imports import HistoryImportStore
        return HistoryImportStore(self.table)

    @cached_property
    def sessions(self) -> SessionRepository:
        from switchboard.storage.sessions import SessionRepository
        return SessionRepository(self.table)

    @cached_property
    def sla_policies(self) -> SlaPolicyRepository:
        from switchboard.storage.sla import SlaPolicyRepository
        return SlaPolicyRepository(self.table)

    @cached_property
    def session_sla(self) -> SessionSlaStore:
        from switchboard.storage.sla import SessionSlaStore
        return SessionSlaStore(self.table)

    @cached_property
    def templates(self) -> TemplateRepository:
        from switchboard.storage.templates import TemplateRepository
        return TemplateRepository(self.table)

    @cached_property
    def campaigns(self) -> CampaignRepository:
        from switchboard.storage.campaigns import CampaignRepository
        return CampaignRepository(self.table)

    @cached_property
    def scheduler(self) -> Scheduler:
        from switchboard.clients.scheduler import DeliveryPolicy, Scheduler
        need = self.settings.need
        delivery = DeliveryPolicy(need("scheduler_dlq_arn"), int(need("scheduler_retry_attempts")),
                                  int(need("scheduler_max_event_age_s")))
        return Scheduler(need("scheduler_target_arn"), need("scheduler_role_arn"), delivery)

    def scheduler_for(self, target_arn: str) -> Scheduler:
        """Schedules into ``target_arn``: a function that schedules itself (sla_timers) names the ARN it was
        invoked by (its live alias; locally, the runtime's name for it), with the role and dead-letter
        queue its environment gives it."""
        from switchboard.clients.scheduler import Scheduler
        scheduler = self.scheduler
        return Scheduler(target_arn, scheduler.role_arn, scheduler.delivery, scheduler.group)

    @cached_property
    def contacts(self) -> ContactStore:
        from switchboard.storage.contacts import ContactStore
        return ContactStore(self.table)

    @cached_property
    def directory(self) -> Directory:
        from switchboard.contacts.directory import Directory
        from switchboard.storage.contact_search import ContactSearchStore
        from switchboard.storage.history import HistoryStore
        return Directory(self.contacts, ContactSearchStore(self.table), HistoryStore(self.table), self.bus,
                         self.tenants)

    @cached_property
    def inbound_queue(self) -> Queue:
        from switchboard.clients.sqs import Queue
        return Queue(self.settings.need("inbound_queue_url"))

    @cached_property
    def outbound_queue(self) -> Queue:
        from switchboard.clients.sqs import Queue
        return Queue(self.settings.need("outbound_queue_url"))

    @cached_property
    def operators(self) -> OperatorRepository:
        from switchboard.storage.team import OperatorRepository
        return OperatorRepository(self.table)

    @cached_property
    def groups(self) -> GroupRepository:
        from switchboard.storage.team import GroupRepository
        return GroupRepository(self.table)

    @cached_property
    def team_settings(self) -> TeamSettingsRepository:
        from switchboard.storage.team import TeamSettingsRepository
        return TeamSettingsRepository(self.table)

    @cached_property
    def canned_responses(self) -> CannedResponseRepository:
        from switchboard.storage.team import CannedResponseRepository
        return CannedResponseRepository(self.table)

    @cached_property
    def identity(self) -> IdentityProvider:
        from switchboard.clients.identity import identity_provider
        return identity_provider(self.settings.user_pool_id)

    @cached_property
    def bus(self) -> VersionedBus:
        """Domain events, versioned, on the bus; the fan-out numbers them in the tenant's log (docs/realtime.md)."""
        from switchboard.clients.eventbus import EventBus
        from switchboard.realtime.publishing import VersionedBus
        return VersionedBus(EventBus(self.settings.need("event_bus_name")))

    @cached_property
    def event_log(self) -> EventLog:
        from switchboard.storage.event_log import EventLog
        return EventLog(self.table)

    @cached_property
    def connections(self) -> ConnectionStore:
        from switchboard.storage.connections import ConnectionStore
        return ConnectionStore(self.table)

    @cached_property
    def webhook_subscriptions(self) -> WebhookSubscriptionStore:
        from switchboard.storage.webhook_subscriptions import WebhookSubscriptionStore
        return WebhookSubscriptionStore(self.table)

    @cached_property
    def webhooks_queue(self) -> Queue:
        from switchboard.clients.sqs import Queue
        return Queue(self.settings.need("webhooks_queue_url"))


@cache
def services() -> Services:
    return Services(get_settings())


def reset_services() -> None:
    """Forget settings, clients and repositories (after the environment or the AWS backend changed)."""
    services.cache_clear()
    reset_settings()
    aws.reset()
