"""Building a resolver: routers, the error mapping, OpenAPI and Swagger UI."""

from __future__ import annotations

from collections.abc import Iterable

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api import errors
from switchboard.config import get_settings

TITLE = "Switchboard operator API"
VERSION = "1.0.0"


# What a browser frontend sends and may read beyond the CORS-safelisted headers.
CORS_REQUEST_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key"]
CORS_RESPONSE_HEADERS = ["Idempotent-Replayed", "Location", "Retry-After"]
CORS_MAX_AGE_S = 3600  # as the stack's preflight (infra/cdk/api.py)


def cors_config(origins: tuple[str, ...]) -> CORSConfig | None:
    """Access-Control-Allow-Origin echoes the request's origin when it is one of ``origins``, and is absent
    otherwise (the browser then refuses the answer). Never ``*``, and no Allow-Credentials: the API takes
    a bearer token, not cookies."""
    listed = [origin for origin in origins if origin != "*"]
    if not listed:
        return None
    return CORSConfig(allow_origin=listed[0], extra_origins=listed[1:], allow_headers=CORS_REQUEST_HEADERS,
                      expose_headers=CORS_RESPONSE_HEADERS, max_age=CORS_MAX_AGE_S, allow_credentials=False)


def build_resolver(routers: Iterable[Router], docs: bool = False) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True, cors=cors_config(get_settings().cors_origin_list))
    errors.install(app)
    for router in routers:
        app.include_router(router)
    if docs:
        app.enable_swagger(path="/swagger", title=TITLE, version=VERSION)
    return app
