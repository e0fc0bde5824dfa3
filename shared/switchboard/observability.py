"""Metrics for what operators and on-call people watch: received, stored, sent, failed, duplicates,
bad signatures.

Each function has its own set (``function_metrics(service)``), flushed by its own handler
(``@metrics.log_metrics``) with its own ``service`` dimension. Powertools' ``Metrics`` shares one set per
process, which is right in Lambda (one function per process) but not in the local runtime, where every
function runs in one process: there the last handler imported named the service of all of them, and one
handler's flush took the others' counts. ``count`` adds to the set of the handler running in this thread
(``carrying_metrics`` hands it to worker threads), or to the process-wide ``metrics`` outside any handler."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

NAMESPACE = "Switchboard"
metrics = Metrics(namespace=NAMESPACE)
_current: ContextVar[Metrics | None] = ContextVar("switchboard_metrics", default=None)
T = TypeVar("T")


class FunctionMetrics(Metrics):
    """One function's metrics, in a set of its own (not Powertools' process-wide one)."""

    def __init__(self, service: str) -> None:
        super().__init__(service=service, namespace=NAMESPACE, provider=AmazonCloudWatchEMFProvider(
            namespace=NAMESPACE, service=service, default_dimensions={"service": service}))

    def log_metrics(self, lambda_handler: Callable[..., Any] | None = None, **options: Any) -> Any:
        """Powertools' decorator, with this set as the one ``count`` adds to while the handler runs."""
        if lambda_handler is None:
            return functools.partial(self.log_metrics, **options)
        flushed = self.provider.log_metrics(lambda_handler, **options)

        @functools.wraps(lambda_handler)
        def handler(event: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
            token = _current.set(self)
            try:
                return flushed(event, context, *args, **kwargs)
            finally:
                _current.reset(token)
                if is_metrics_disabled():  # Powertools keeps what it does not publish: drop it
                    self.provider.clear_metrics()

        return handler


def function_metrics(service: str) -> FunctionMetrics:
    return FunctionMetrics(service)


def count(name: str, value: int = 1) -> None:
    (_current.get() or metrics).add_metric(name=name, unit=MetricUnit.Count, value=value)


def carrying_metrics(work: Callable[..., T]) -> Callable[..., T]:
    """``work`` as run on another thread (a pool's), counting into the set of the handler that made it."""
    current = _current.get()

    def run(*args: Any, **kwargs: Any) -> T:
        token = _current.set(current)
        try:
            return work(*args, **kwargs)
        finally:
            _current.reset(token)

    return run
