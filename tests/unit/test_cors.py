"""CORS as the handlers and the local gateway answer it: only listed origins are echoed, never `*`, never
with credentials."""

from __future__ import annotations

from infra.declaration import cors_origins
from infra.local.api_server import Gateway
from switchboard.api.app import cors_config

LISTED = "http://127.0.0.1:5173"
PREFLIGHT = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}


def test_the_handlers_echo_a_listed_origin() -> None:
    assert cors_config((LISTED,)).to_dict(LISTED)["Access-Control-Allow-Origin"] == LISTED


def test_the_handlers_say_nothing_to_another_origin() -> None:
    assert cors_config((LISTED,)).to_dict("https://evil.example") == {}


def test_a_star_is_never_configured() -> None:
    assert cors_config(("*",)) is None


def test_the_handlers_never_allow_credentials() -> None:
    assert "Access-Control-Allow-Credentials" not in cors_config((LISTED,)).to_dict(LISTED)


def test_the_gateway_answers_a_listed_origins_preflight() -> None:
    reply = Gateway(origins=(LISTED,)).handle("OPTIONS", "/sessions", {"Origin": LISTED, **PREFLIGHT}, b"")
    assert (reply.status, reply.headers.get("Access-Control-Allow-Origin")) == (204, LISTED)


def test_the_gateway_refuses_another_origins_preflight() -> None:
    reply = Gateway(origins=(LISTED,)).handle("OPTIONS", "/sessions", {"Origin": "https://evil.example",
                                                                        **PREFLIGHT}, b"")
    assert (reply.status, "Access-Control-Allow-Origin" in reply.headers) == (403, False)


def test_the_gateways_own_401_is_readable_by_a_listed_origin() -> None:
    reply = Gateway(origins=(LISTED,)).handle("GET", "/sessions", {"Origin": LISTED}, b"")
    assert (reply.status, reply.headers.get("Access-Control-Allow-Origin")) == (401, LISTED)


def test_the_origins_default_to_the_frontends_dev_servers() -> None:
    assert cors_origins(None) == ("http://localhost:5173", "http://127.0.0.1:5173")
