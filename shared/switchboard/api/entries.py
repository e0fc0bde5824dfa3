"""One entry function per event shape a Lambda function is declared to receive (infra/declaration.py):
its API Gateway routes, each EventBridge (source, detail-type) it has a rule for, and a direct invocation
(an EventBridge Scheduler schedule's input). A handler names them in an explicit table; an event of
another shape is logged and ignored, never passed to an entry written for another.

A bus consumer (a function whose rules hand it our bus's domain events, one call into its area per event)
has one entry for all of them: ``bus_consumer`` wires it (Logger, metrics, SnapStart priming, the services),
so its handler module holds only the call. Nothing it needs beyond Powertools' Logger is imported before
the first event (or the SnapStart snapshot)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from aws_lambda_powertools import Logger

from switchboard import snapstart
from switchboard.observability import FunctionMetrics, function_metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

    from switchboard.services import Services

API = "api"  # an API Gateway request (REST or HTTP API)
INVOKE = "invoke"  # a direct invocation: a Scheduler schedule's input, or the local runtime's
Shape = str | tuple[str, str]  # API, INVOKE, or an EventBridge event's (source, detail-type)
Entry = Callable[[dict[str, Any], Any], Any]


def shape_of(event: dict[str, Any]) -> Shape:
    if "requestContext" in event:
        return API
    if "detail-type" in event and "source" in event:
        return str(event["source"]), str(event["detail-type"])
    return INVOKE


def serve(entries: Mapping[Shape, Entry], event: dict[str, Any], context: Any, logger: Logger) -> Any:
    shape = shape_of(event)
    entry = entries.get(shape)
    if entry is None:
        logger.warning("unexpected event ignored", shape=str(shape))
        return {"ignored": str(shape)}
    return entry(event, context)


class BusEvent:
    """A domain event from our bus as its consumer reads it: its detail type and detail (Powertools'
    ``EventBridgeEvent`` underneath)."""

    def __init__(self, event: EventBridgeEvent) -> None:
        self._event = event

    @property
    def detail_type(self) -> str:
        return self._event.detail_type

    @cached_property
    def detail(self) -> dict[str, Any]:
        return dict(self._event.detail or {})

    @property
    def id(self) -> str:
        """EventBridge's id of the event (the same on each redelivery)."""
        return self._event.get_id


Consume = Callable[["Services", BusEvent], dict[str, Any]]


class BusConsumer(NamedTuple):
    logger: Logger
    metrics: FunctionMetrics
    handler: Callable[[dict[str, Any], Any], dict[str, Any]]


def bus_consumer(service: str, consume: Consume, prime: str) -> BusConsumer:
    """The wiring of the bus consumer ``service``: its Logger and metrics, ``prime`` (the module ``consume``
    imports) and the services imported before a SnapStart snapshot, and a handler that hands each event to
    ``consume`` with the services, returning what it returns."""
    logger = Logger(service=service)
    metrics = function_metrics(service)
    snapstart.prime(prime, "switchboard.services")

    @logger.inject_lambda_context
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

        from switchboard.services import services

        return consume(services(), BusEvent(EventBridgeEvent(event)))

    return BusConsumer(logger, metrics, handler)
