"""GET /openapi.json and GET /swagger: the whole API's document and Swagger UI (assets shipped by
Powertools, so the page works offline too)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi import swagger_ui
from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.openapi import openapi_json

router = Router()


@cache
def _swagger_page() -> str:
    assets = Path(swagger_ui.__file__).parent
    return generate_swagger_html(
        spec=openapi_json().replace("</", "<\\/"),
        swagger_js=(assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        swagger_css=(assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
    )


@router.get("/openapi.json", include_in_schema=False)
def openapi_document():  # noqa: ANN201 - a raw Response, kept out of validation
    return Response(200, "application/json", openapi_json())


@router.get("/swagger", include_in_schema=False)
def swagger():  # noqa: ANN201 - a raw Response, kept out of validation
    return Response(200, "text/html", _swagger_page())
