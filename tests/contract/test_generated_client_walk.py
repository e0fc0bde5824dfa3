"""The Python client that openapi-python-client generates from /openapi.json, used as a frontend would,
over HTTP against the local runtime: the README's demo (a customer writes, the operator reads and replies),
and an admin adding a WhatsApp number that then receives a signed webhook into its own tenant."""

from __future__ import annotations

import importlib
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.contract.conftest import PYTHON_PACKAGE, Generated
from tests.support.runtime import local_runtime, token
from tests.support.whatsapp import envelope, signed, text_message

pytestmark = [pytest.mark.contract, pytest.mark.e2e]


@pytest.fixture(scope="module")
def sdk(python_client: Generated) -> Iterator[ModuleType]:
    assert python_client.returncode == 0, python_client.output
    sys.path.insert(0, str(python_client.directory.parent))
    try:
        yield importlib.import_module(PYTHON_PACKAGE)
    finally:
        sys.path.remove(str(python_client.directory.parent))


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PYTHON_PACKAGE}.{name}")


@pytest.fixture(scope="module")
def runtime() -> Iterator[str]:
    with local_runtime() as url:
        yield url


def post_webhook(url: str, body: dict, secret: str = "demo-app-secret") -> int:
    raw, headers = signed(body, secret)
    try:
        with urllib.request.urlopen(urllib.request.Request(f"{url}/webhooks/whatsapp", data=raw,
                                                           headers=headers)) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def idle(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{url}/_local/idle", data=b"{}", method="POST"))


def client(sdk: ModuleType, url: str, *token_args: str):  # noqa: ANN201 - the generated client's type
    return sdk.AuthenticatedClient(base_url=url, token=token(*token_args), raise_on_unexpected_status=True)


def test_the_demo_walks_through_the_generated_client(sdk: ModuleType, runtime: str) -> None:
    # written now: the customer's 24-hour window runs from Meta's timestamp
    assert post_webhook(runtime, envelope([text_message(body="Is my parcel on its way?", wamid="wamid.WALK1",
                                                         timestamp=int(time.time()))])) == 200
    idle(runtime)
    operator = client(sdk, runtime)
    sessions = module("api.sessions.list_sessions").sync(client=operator)
    session = next(s for s in sessions.items if s.last_message.text == "Is my parcel on its way?")
    messages = module("api.sessions.list_messages").sync(
        session.session_id, client=operator)
    assert [m.text for m in messages.items] == ["Is my parcel on its way?"]
    request = module("models").SendMessageRequest(text="It left our warehouse this morning.")
    reply = module("api.sending.send_message").sync_detailed(
        session.session_id, client=operator, body=request)
    assert reply.status_code == 202
    assert reply.parsed.status == "queued"


def test_a_number_added_through_the_api_receives_webhooks_into_its_tenant(sdk: ModuleType, runtime: str) -> None:
    number = envelope([text_message(sender="420777000111", body="Dobrý den", wamid="wamid.NEWNUMBER1")],
                      phone_number_id="109000000000001", waba_id="109000000000009")
    assert post_webhook(runtime, number, "acme-app-secret") == 403  # not a channel yet

    admin = client(sdk, runtime, "--role", "admin", "--tenant", "acme")
    models = module("models")
    created = module("api.channels.create_channel").sync_detailed(client=admin, body=models.WhatsAppChannelIn(
        kind="whatsapp", phone_number_id="109000000000001", waba_id="109000000000009",
        display_phone_number="+420 777 000 999", access_token="acme-access-token",
        app_secret="acme-app-secret", verify_token="acme-verify-token"))
    assert created.status_code == 201
    assert post_webhook(runtime, number, "acme-app-secret") == 200
    idle(runtime)

    acme = client(sdk, runtime, "--tenant", "acme")
    sessions = module("api.sessions.list_sessions").sync(client=acme)
    assert [(s.channel_id, s.last_message.text) for s in sessions.items] == [(created.parsed.channel_id, "Dobrý den")]
    demo = module("api.sessions.list_sessions").sync(client=client(sdk, runtime))
    assert "Dobrý den" not in [s.last_message.text for s in demo.items if s.last_message]


def test_channel_views_show_no_secret(sdk: ModuleType, runtime: str) -> None:
    admin = client(sdk, runtime, "--role", "admin")
    listed = module("api.channels.list_channels").sync_detailed(client=admin)
    raw = json.loads(listed.content)
    assert {"tenant_id", "secret_name", "app_secret", "access_token", "verify_token"} & {
        key for channel in raw["items"] for key in channel} == set()
