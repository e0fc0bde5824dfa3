"""Invoking the functions in-process, the way Lambda would: a handler module per function, a context."""

from __future__ import annotations

import importlib
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from infra.declaration import Function


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    timeout_s: int = 15
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:eu-west-1:000000000000:function:switchboard-{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/switchboard-{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_s * 1000


def handler_module(name: str) -> ModuleType:
    return importlib.import_module(f"functions.{name}.handler")


def invoke(spec: Function, event: dict[str, Any]) -> Any:
    context = LambdaContext(spec.name, spec.memory_mb, spec.timeout_s)
    return handler_module(spec.name).handler(event, context)
