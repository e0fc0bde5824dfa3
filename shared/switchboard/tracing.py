"""Spans where a trace gains from them, without the X-Ray SDK on the hot path (docs/performance.md).

Lambda's active tracing records every invocation's function segment, and Powertools' Logger writes its
trace id (``xray_trace_id``) into every log line, so logs and traces meet without any SDK in the
function. A finer span is worth having around what waits on the outside: the Graph API call and the
DynamoDB transaction. Those are OpenTelemetry spans, recorded only where a deployment turns on an
OpenTelemetry SDK (the ADOT Lambda layer sets ``AWS_LAMBDA_EXEC_WRAPPER`` to ``/opt/otel-instrument``,
or ``OTEL_TRACES_EXPORTER`` names an exporter). Otherwise ``span`` is a null context and the
OpenTelemetry API is never imported: measured, it costs 22.7 ms of CPU to import (a fifth of boto3's
import), all for spans nobody records.

Privacy as with Powertools' ``capture_response=False``: a span carries the operation and ids, never a
request or response body, a phone number or message text. Callers pass only such attributes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import cache
from typing import Any

_OTEL_WRAPPERS = ("/opt/otel-instrument", "/opt/otel-handler")


def enabled(environ: Any = None) -> bool:
    environ = os.environ if environ is None else environ
    exporter = environ.get("OTEL_TRACES_EXPORTER", "")
    return environ.get("AWS_LAMBDA_EXEC_WRAPPER") in _OTEL_WRAPPERS or exporter not in ("", "none")


@cache
def _tracer() -> Any:
    if not enabled():
        return None
    try:
        from opentelemetry import trace
    except ImportError:  # the SDK's layer is not attached: nothing would record the span
        return None
    return trace.get_tracer("switchboard")


def span(name: str, **attributes: str | int | bool) -> Any:
    """``with span("graph.send", phone_number_id=...):`` a span when tracing is on, else nothing."""
    tracer = _tracer()
    if tracer is None:
        return nullcontext()
    return _recorded(tracer, name, attributes)


@contextmanager
def _recorded(tracer: Any, name: str, attributes: dict[str, Any]) -> Iterator[Any]:
    with tracer.start_as_current_span(name, attributes=attributes) as current:
        yield current
