"""Spans cost nothing where no OpenTelemetry SDK records them: the API is not even imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from switchboard import tracing

ROOT = Path(__file__).resolve().parents[2]


def test_tracing_is_off_unless_a_deployment_turns_an_sdk_on() -> None:
    assert tracing.enabled({}) is False
    assert tracing.enabled({"OTEL_TRACES_EXPORTER": "none"}) is False
    assert tracing.enabled({"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument"}) is True
    assert tracing.enabled({"OTEL_TRACES_EXPORTER": "otlp"}) is True


def test_a_span_without_tracing_imports_no_opentelemetry() -> None:
    code = f"""
import sys
sys.path[:0] = [{str(ROOT / "shared")!r}]
from switchboard.tracing import span
with span("dynamodb.transact_write_items", items=3):
    pass
print("opentelemetry" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"}, check=False)

    assert done.stdout.strip() == "False", done.stderr
