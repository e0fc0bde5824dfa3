"""Invoking the functions in-process, the way Lambda would: a handler module per function, a context."""

from __future__ import annotations

import importlib
import threading
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


# API requests take turns in this process: the gateway (infra/local/api_server.py) holds API_TURNS for each.
# Powertools' Event Handler keeps the request it resolves in process-wide state: ``BaseRouter.current_event``
# is a class attribute every resolver and router reads (body, headers, path, the caller's claims), and a
# resolver's routing context is one dict that each request clears when it ends. Lambda can afford that: an
# execution environment handles one request at a time, and concurrent requests get environments of their own.
# Here every function shares one interpreter, so two overlapping requests would read each other's event: a
# webhook answered 200 having queued another POST's message, and its own was lost (docs/testing.md). Queue,
# bus and schedule invocations do not go through the Event Handler and still run at once, as Lambda's do.
# Re-entrant: a test that injects a request from inside another (a hook in the middle of a route) runs it in
# the outer request's turn, on the same thread, as it did before there were turns.
API_TURNS = threading.RLock()
