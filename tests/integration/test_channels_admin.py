"""Channels administered through the API (admins): credentials to Secrets Manager and never shown, a number
held by one channel only, edits and disabling that the webhook sees without a restart."""

from __future__ import annotations

import json

import boto3

from switchboard.services import services
from switchboard.storage.channels import ChannelRepository
from tests.support.whatsapp import envelope, signed, text_message

NEW = {"kind": "whatsapp", "phone_number_id": "109000000000001", "waba_id": "109000000000009",
       "display_phone_number": "+420 777 000 999", "access_token": "acme-access-token",
       "app_secret": "acme-app-secret", "verify_token": "acme-verify-token"}


def webhook(api, secret: str = "acme-app-secret", wamid: str = "wamid.ADMIN1") -> int:  # noqa: ANN001
    raw, headers = signed(envelope([text_message(sender="420777000111", wamid=wamid)],
                                   phone_number_id=NEW["phone_number_id"], waba_id=NEW["waba_id"]), secret)
    return api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0]


def test_the_secrets_go_to_secrets_manager_and_are_never_returned(api, demo, admin_token) -> None:
    status, channel = api.call("POST", "/channels", NEW, token=admin_token)
    assert status == 201
    assert {"access_token", "app_secret", "verify_token", "secret_name", "tenant_id"} & set(channel) == set()
    stored = boto3.client("secretsmanager").get_secret_value(
        SecretId=f"switchboard/demo/{channel['channel_id']}")["SecretString"]
    assert json.loads(stored)["app_secret"] == "acme-app-secret"


def test_a_number_another_channel_holds_is_a_conflict_and_leaves_nothing(api, demo, admin_token) -> None:
    taken = {**NEW, "phone_number_id": demo.phone_number_id}
    status, refusal = api.call("POST", "/channels", taken, token=admin_token)
    assert (status, refusal["code"], refusal["field"]) == (409, "channel_taken", "phone_number_id")
    assert len(api.call("GET", "/channels", token=admin_token)[1]["items"]) == 2  # the demo's two


def test_operators_may_not_add_channels(api, demo, operator_token) -> None:
    assert api.call("POST", "/channels", NEW, token=operator_token)[0] == 403


def test_a_webhook_process_that_missed_the_number_finds_it_once_added(api, demo, admin_token) -> None:
    webhook_process = ChannelRepository(services().table)  # another Lambda's own cache
    assert webhook_process.by_phone_number_id(NEW["phone_number_id"]) is None
    api.call("POST", "/channels", NEW, token=admin_token)
    assert webhook_process.by_phone_number_id(NEW["phone_number_id"]) is not None


def test_a_new_app_secret_is_used_at_once(api, demo, admin_token) -> None:
    channel = api.call("POST", "/channels", NEW, token=admin_token)[1]
    assert webhook(api) == 200
    status, _ = api.call("PATCH", f"/channels/{channel['channel_id']}", {"app_secret": "rotated"}, token=admin_token)
    assert status == 200
    assert webhook(api, "rotated", "wamid.ADMIN2") == 200


def test_a_disabled_number_receives_nothing(api, demo, admin_token) -> None:
    channel = api.call("POST", "/channels", NEW, token=admin_token)[1]
    assert api.call("DELETE", f"/channels/{channel['channel_id']}", token=admin_token)[0] == 204
    assert webhook(api) == 403
    listed = api.call("GET", "/channels", token=admin_token)[1]["items"]
    assert [c["status"] for c in listed if c["channel_id"] == channel["channel_id"]] == ["disabled"]


def test_channels_are_listed_a_page_at_a_time(api, demo, admin_token) -> None:
    first = api.call("GET", "/channels?limit=1", token=admin_token)[1]
    rest = api.call("GET", f"/channels?limit=1&cursor={first['next_cursor']}", token=admin_token)[1]
    assert len(first["items"] + rest["items"]) == 2


def test_a_disabled_number_sends_nothing(api, demo, admin_token) -> None:
    channel = api.call("POST", "/channels", {**NEW, "may_write_first": True}, token=admin_token)[1]
    api.call("DELETE", f"/channels/{channel['channel_id']}", token=admin_token)
    status, refusal = api.call("POST", "/sessions", {"channel_id": channel["channel_id"], "phone": "+420777000111",
                                                     "template": {"name": "hello_world", "language": "en_US"}},
                               token=admin_token)
    assert (status, refusal["code"]) == (409, "channel_disabled")
