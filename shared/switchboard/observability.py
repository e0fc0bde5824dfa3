"""Metrics for what operators and on-call people watch: received, stored, sent, failed, duplicates,
bad signatures. Powertools Metrics keeps one set per process; each handler flushes it (``log_metrics``)."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics(namespace="Switchboard")


def count(name: str, value: int = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
