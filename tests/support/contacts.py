"""Factories for directory tests: contacts created through the API, as a frontend would."""

from __future__ import annotations

from typing import Any


def create(api, token: str, name: str = "Jana Nováková", **fields: Any) -> dict[str, Any]:  # noqa: ANN001
    status, body = api.call("POST", "/contacts", {"name": name, **fields}, token=token)
    assert status == 201, body
    return body


def define_attributes(api, admin_token: str, *definitions: dict[str, Any]) -> None:  # noqa: ANN001
    status, body = api.call("PUT", "/contact-attributes", {"definitions": list(definitions)}, token=admin_token)
    assert status == 200, body


def search(api, token: str, query: str = "") -> list[str]:  # noqa: ANN001
    status, body = api.call("GET", f"/contacts{query}", token=token)
    assert status == 200, body
    return [c["name"] for c in body["items"]]
