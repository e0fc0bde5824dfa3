"""One entry function per event shape a Lambda function is declared to receive (infra/declaration.py):
its API Gateway routes, each EventBridge (source, detail-type) it has a rule for, and a direct invocation
(an EventBridge Scheduler schedule's input). A handler names them in an explicit table; an event of
another shape is logged and ignored, never passed to an entry written for another."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger

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
