"""A function's resolver, loaded as requests need it (docs/performance.md, "Cold start").

The handler module imports only its wiring (Logger, Metrics). The first request builds the resolver
(Powertools' Event Handler, with its validation and pydantic) and imports the one router that serves its
route; a router is imported the first time a request routes to it. A route the catalog does not name
loads every router of the function, so a request is never answered 404 for a route that exists; the
catalog only decides what is imported when. With SnapStart, ``prime`` runs before the snapshot
(switchboard.snapstart), and a restored instance has everything imported.

This module is imported at cold start: it imports nothing from Powertools or pydantic itself."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

from switchboard.api.routes import ROUTES


def route_of(event: dict[str, Any]) -> str | None:
    """The request's route as declared ("GET /sessions/{session_id}"): an HTTP API's ``routeKey``, or a
    REST API's method and resource."""
    route_key = event.get("routeKey")
    if route_key and route_key != "$default":
        return str(route_key)
    method, resource = event.get("httpMethod"), event.get("resource")
    return f"{method} {resource}" if method and resource else None


def router_of(entry: str) -> Any:
    """The router a catalog entry names: ``module`` (its ``router``) or ``module:attribute``."""
    module, _, attribute = entry.partition(":")
    return getattr(importlib.import_module(f"switchboard.api.routes.{module}"), attribute or "router")


class LazyResolver:
    """``modules``: the router modules (under switchboard.api.routes) this function serves; ``build``:
    makes the empty resolver from the first event (imported on first use, so its imports are paid by the
    first request; the event says which API Gateway payload the function is given)."""

    def __init__(self, modules: Sequence[str], build: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.modules = tuple(modules)
        self._build = build or validated_resolver
        self._resolver: Any = None
        self._included: set[str] = set()
        self._lock = threading.Lock()  # the local runtime serves concurrent requests in one process
        self._module_of = {route: module for module in self.modules for route in ROUTES.get(module, ())}

    def resolver(self, event: dict[str, Any] | None = None) -> Any:
        if self._resolver is None:
            with self._lock:
                if self._resolver is None:
                    self._resolver = self._build(event or {})
        return self._resolver

    def load(self, *modules: str, event: dict[str, Any] | None = None) -> Any:
        """Include the routers of ``modules`` (each once) and return the resolver."""
        resolver = self.resolver(event)
        missing = [m for m in modules if m not in self._included]
        if missing:
            with self._lock:
                for module in missing:
                    if module not in self._included:
                        resolver.include_router(router_of(module))
                        self._included.add(module)
        return resolver

    def load_all(self, event: dict[str, Any] | None = None) -> Any:
        return self.load(*self.modules, event=event)

    def prime(self) -> None:
        """Before a SnapStart snapshot: import Powertools' Event Handler, validation included, and every
        router, without building the resolver (which payload it reads is the first event's to say);
        building and including them after the restore takes a millisecond."""
        importlib.import_module("switchboard.api.app")
        for module in self.modules:
            router_of(module)

    def resolve(self, event: dict[str, Any], context: Any) -> Any:
        module = self._module_of.get(route_of(event) or "")
        resolver = self.load(module, event=event) if module else self.load_all(event)
        return resolver.resolve(event, context)


def validated_resolver(event: dict[str, Any]) -> Any:
    """The operator API's resolver: validation, OpenAPI, the error mapping (switchboard/api/app.py)."""
    from switchboard.api.app import build_resolver

    return build_resolver([])


def webhook_resolver(event: dict[str, Any]) -> Any:
    """The webhooks' resolver: no validation (the bodies are checked by signature, then parsed). An HTTP
    API's payload 2.0 (``Route.api == "http"``) or a REST API's proxy event, as the first event is."""
    if event.get("version") == "2.0":
        from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

        return APIGatewayHttpResolver()
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    return APIGatewayRestResolver()
