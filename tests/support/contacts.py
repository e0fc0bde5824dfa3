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


def whatsapp_message(api, process_inbound, sender: str = "420777555666", name: str = "Věra Malá",  # noqa: ANN001
                     body: str = "Hello", user_id: str | None = None) -> None:
    """A customer writes on WhatsApp; contact_resolution handles it."""
    from tests.support.whatsapp import envelope, signed, text_message

    raw, headers = signed(envelope([text_message(sender=sender, name=name, body=body, user_id=user_id)]))
    status, reply = api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    assert status == 200, reply
    process_inbound()


def sessions_of(api, token: str, contact_id: str) -> list[dict[str, Any]]:  # noqa: ANN001
    status, page = api.call("GET", f"/sessions?contact_id={contact_id}", token=token)
    assert status == 200, page
    return page["items"]


def contact_of_sender(sender: str) -> str:
    """Who the store says owns a WhatsApp id."""
    from switchboard.services import services
    from switchboard.storage import keys

    return services().table.get(keys.identifier("demo", "wa", sender), consistent=True)["contact_id"]
