"""Building a resolver: routers, the error mapping, OpenAPI and Swagger UI."""

from __future__ import annotations

from collections.abc import Iterable

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api import errors

TITLE = "Switchboard operator API"
VERSION = "1.0.0"


def build_resolver(routers: Iterable[Router], docs: bool = False) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    errors.install(app)
    for router in routers:
        app.include_router(router)
    if docs:
        app.enable_swagger(path="/swagger", title=TITLE, version=VERSION)
    return app
