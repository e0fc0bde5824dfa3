"""Templates as Meta lists them (reference §8), and the Graph API simulator's template endpoint reached
through ``responses``: the sync's GraphClient calls https://graph.facebook.com as in AWS, and the
simulator (infra/local/graph_simulator/templates.py) answers, paging and faults included."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from infra.local.graph_simulator.templates import TemplateCatalog, catalog, handle

GRAPH = "https://graph.facebook.com/v25.0"


@contextmanager
def simulated_graph() -> Iterator[TemplateCatalog]:
    catalog.reset()
    catalog.base_url = GRAPH

    def answer(request: Any) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(request.url)
        reply = handle(
            request.method,
            url.path.split("/")[1:],
            parse_qs(url.query, keep_blank_values=True),
            request.body or b"",
        )
        if reply is None:
            return 404, {}, b'{"error": {"code": 100, "message": "unknown path"}}'
        return reply.status, reply.headers, reply.body

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(r"https://graph\.facebook\.com/.*"), callback=answer)
        yield catalog
    catalog.reset()
    catalog.base_url = None


def coupon_reminder(**overrides: Any) -> dict[str, Any]:
    """Positional: text header {{1}}, body {{1}} {{2}}, footer, URL button with a suffix, quick reply."""
    return {
        "name": "coupon_expiration_reminder",
        "language": "en",
        "status": "APPROVED",
        "category": "MARKETING",
        "sub_category": "CUSTOM",
        "parameter_format": "POSITIONAL",
        "quality_score": {"score": "GREEN", "date": 1751247548},
        "components": [
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": "Act fast, {{1}}!",
                "example": {"header_text": ["Pablo"]},
            },
            {
                "type": "BODY",
                "text": "Your coupon code, {{1}}, *expires in only {{2}} days!*",
                "example": {"body_text": [["SUMMER20", "10"]]},
            },
            {"type": "FOOTER", "text": "Lucky Shrub Succulents"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {
                        "type": "URL",
                        "text": "See deals",
                        "url": "https://www.luckyshrub.com/deals/{{1}}",
                        "example": ["https://www.luckyshrub.com/deals/summer"],
                    },
                    {"type": "QUICK_REPLY", "text": "Unsubscribe"},
                ],
            },
        ],
        **overrides,
    }


def reservation_confirmation(**overrides: Any) -> dict[str, Any]:
    """Named: image header, body {{number_of_guests}} {{day}}, phone button."""
    return {
        "name": "reservation_confirmation",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "parameter_format": "NAMED",
        "components": [
            {
                "type": "HEADER",
                "format": "IMAGE",
                "example": {"header_handle": ["https://scontent.whatsapp.net/x"]},
            },
            {
                "type": "BODY",
                "text": "Your reservation for {{number_of_guests}} on {{day}} is confirmed.",
                "example": {
                    "body_text_named_params": [
                        {"param_name": "number_of_guests", "example": "4"},
                        {"param_name": "day", "example": "Saturday"},
                    ]
                },
            },
            {
                "type": "BUTTONS",
                "buttons": [{"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+16467043595"}],
            },
        ],
        **overrides,
    }


def numbered(count: int, status: str = "APPROVED") -> list[dict[str, Any]]:
    """``count`` small positional templates, tpl_000 … (a WABA of many templates)."""
    return [
        {
            "name": f"tpl_{i:03d}",
            "language": "en_US",
            "status": status,
            "category": "UTILITY",
            "parameter_format": "POSITIONAL",
            "components": [{"type": "BODY", "text": f"Order {{{{1}}}} is on its way ({i})."}],
        }
        for i in range(count)
    ]


def stored(template: dict[str, Any]) -> dict[str, Any]:
    """A template as the store keeps it (components as JSON text), for rendering tests."""
    return {**template, "components": json.dumps(template["components"])}
