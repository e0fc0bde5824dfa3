"""What an outside security probe broke (issue 21), each reproduced through the API as the probe did it."""

from __future__ import annotations

from tests.support.whatsapp import DEMO_WABA_ID, envelope, signed, text_message


def _inbound_depth(aws) -> int:  # noqa: ANN001
    import boto3

    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=aws.queue_urls["inbound"], AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


# -- an unknown number is not stored under another channel of the account ---------------------------------
def test_a_number_no_channel_serves_is_refused_even_under_a_known_account(api, demo, aws) -> None:
    raw, headers = signed(envelope([text_message()], phone_number_id="999000111", waba_id=DEMO_WABA_ID))

    status, body = api.call("POST", "/webhooks/whatsapp", raw, headers=headers)

    assert status == 403
    assert body["code"] == "unknown_channel"
    assert _inbound_depth(aws) == 0


def test_a_refused_number_is_shown_to_admins_once(api, demo, aws, admin_token) -> None:
    raw, headers = signed(envelope([text_message()], phone_number_id="999000111", waba_id=DEMO_WABA_ID))
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)  # Meta retries a refused body

    status, page = api.call("GET", "/webhook-errors", token=admin_token)

    assert status == 200
    assert [e["errors"][0]["code"] for e in page["items"]] == ["unknown_channel"]
    assert page["items"][0]["payload"]["phone_number_id"] == "999000111"


def test_a_forged_body_for_an_unknown_number_leaves_nothing_for_admins(api, demo, aws, admin_token) -> None:
    raw, headers = signed(envelope([text_message()], phone_number_id="999000111", waba_id=DEMO_WABA_ID),
                          secret="not-the-app-secret")
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)

    assert api.call("GET", "/webhook-errors", token=admin_token)[1]["items"] == []


def test_an_account_update_without_a_number_still_routes_by_account(api, demo, aws) -> None:
    body = {"object": "whatsapp_business_account", "entry": [{"id": DEMO_WABA_ID, "time": 1749416383, "changes": [
        {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}]}]}
    raw, headers = signed(body)

    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
