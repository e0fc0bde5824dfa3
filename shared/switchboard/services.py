"""The wiring of one process: repositories and clients, created on first use and shared.

Handlers ask for ``services()`` when invoked (never at import time); tests and the local runtime call
``reset_services()`` after changing the environment or the AWS backend."""

from __future__ import annotations

from functools import cache, cached_property

from switchboard import aws
from switchboard.clients.eventbus import EventBus
from switchboard.clients.sqs import Queue
from switchboard.config import Settings, get_settings, reset_settings
from switchboard.storage.channels import ChannelRepository
from switchboard.storage.conversations import ConversationStore
from switchboard.storage.dynamo import Table
from switchboard.storage.sessions import SessionRepository
from switchboard.storage.statuses import StatusStore


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def table(self) -> Table:
        return Table(self.settings.need("data_table_name"))

    @cached_property
    def channels(self) -> ChannelRepository:
        return ChannelRepository(self.table)

    @cached_property
    def conversations(self) -> ConversationStore:
        return ConversationStore(self.table)

    @cached_property
    def statuses(self) -> StatusStore:
        return StatusStore(self.table)

    @cached_property
    def sessions(self) -> SessionRepository:
        return SessionRepository(self.table)

    @cached_property
    def inbound_queue(self) -> Queue:
        return Queue(self.settings.need("inbound_queue_url"))

    @cached_property
    def outbound_queue(self) -> Queue:
        return Queue(self.settings.need("outbound_queue_url"))

    @cached_property
    def bus(self) -> EventBus:
        return EventBus(self.settings.need("event_bus_name"))


@cache
def services() -> Services:
    return Services(get_settings())


def reset_services() -> None:
    """Forget settings, clients and repositories (after the environment or the AWS backend changed)."""
    services.cache_clear()
    reset_settings()
    aws.reset()
