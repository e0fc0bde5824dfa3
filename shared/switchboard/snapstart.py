"""Lambda SnapStart (docs/performance.md): what runs before Lambda snapshots an initialised instance, and
what runs in each instance restored from that snapshot.

Before the snapshot, each handler imports the modules its events need (``prime``), so a restored
instance has them loaded. After a restore, nothing that two instances restored from the same snapshot
would share survives: boto3 clients and their connections, the settings, the repositories and their
caches, Secrets Manager values cached by Powertools Parameters, the Graph API session, and the state of
``random``. Identifiers come from ``os.urandom`` (switchboard.ids), which the kernel reseeds per VM.

The hooks are registered with the Snapshot Restore for Python library that Lambda's managed runtimes
ship (``snapshot_restore_py``); where it is absent (tests without it, the local runtime) registering is a
no-op, and nothing snapshots the process anyway.

Only the standard library is imported here: importing this module costs nothing at cold start."""

from __future__ import annotations

import importlib
import random
import sys
from collections.abc import Callable
from typing import Any

try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:  # not Lambda's runtime: nothing will snapshot or restore this process

    def register_before_snapshot(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return func

    def register_after_restore(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return func


def prime(*modules: str) -> None:
    """Import ``modules`` before the snapshot is taken (without SnapStart, the first event imports them)."""
    register_before_snapshot(import_all, *modules)


def import_all(*modules: str) -> None:
    for module in modules:
        importlib.import_module(module)


def refresh() -> None:
    """After a restore: fresh random state, clients, settings and caches. Only modules already imported
    are touched (a module the snapshot did not load has nothing to forget)."""
    random.seed()  # from os.urandom: two restored instances no longer draw the same numbers
    loaded = sys.modules
    if "switchboard.services" in loaded:
        loaded["switchboard.services"].reset_services()  # repositories, their caches, settings, boto3 clients
    elif "switchboard.aws" in loaded:
        loaded["switchboard.aws"].reset()
    if "switchboard.clients.graph" in loaded:
        loaded["switchboard.clients.graph"].reset()
    if "aws_lambda_powertools.utilities.parameters" in loaded:
        loaded["aws_lambda_powertools.utilities.parameters"].clear_caches()  # secrets cached by Parameters


register_after_restore(refresh)
