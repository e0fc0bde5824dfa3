"""Campaign test helpers: the scheduler's environment, a campaign template, contacts written straight to
the table (many, fast), and running campaign_dispatch the way its schedule or the bus would."""

from __future__ import annotations

import json
from typing import Any

import boto3

from infra.declaration import function
from infra.local import scheduler
from infra.local.lambdas import invoke
from switchboard.services import reset_services, services
from switchboard.storage import keys
from switchboard.templates.sync import record_of

TENANT = "demo"
CHANNEL = "wa-demo"
SPRING_SALE = {
    "name": "spring_sale", "language": "en", "status": "APPROVED", "category": "MARKETING",
    "parameter_format": "NAMED",
    "components": [{"type": "BODY", "text": "Hi {{customer_name}}, your code is {{code}}.",
                    "example": {"body_text_named_params": [{"param_name": "customer_name", "example": "Ann"},
                                                           {"param_name": "code", "example": "X1"}]}}],
}
PARAMETERS = {"body": {"customer_name": {"from": "contact.name"}, "code": {"value": "X1"}}}


def enable_campaigns(monkeypatch: Any) -> None:
    """What the stack gives operator_api and campaign_dispatch: the schedule group, target and role."""
    for name, value in scheduler.prepare().items():
        monkeypatch.setenv(name, value)
    reset_services()


def store_template(template: dict[str, Any] = SPRING_SALE, tenant_id: str = TENANT,
                   channel_id: str = CHANNEL) -> None:
    record = record_of(template)
    assert record is not None
    services().table.put({**keys.template(tenant_id, channel_id, keys.template_sort_key(
        template["name"], template["language"])), **record})


def phone_of(number: int) -> str:
    return f"+4207{number:08d}"


def store_contacts(count: int, start: int = 0, tenant_id: str = TENANT, **fields: Any) -> list[str]:
    """``count`` contacts named Customer N with phone +4207000000NN (and its identifier item), written in
    batches; returns their ids."""
    table = boto3.resource("dynamodb").Table(services().settings.need("data_table_name"))
    ids = []
    with table.batch_writer() as batch:
        for number in range(start, start + count):
            contact_id = f"C{number:07d}"
            batch.put_item(Item={**keys.contact(tenant_id, contact_id), "contact_id": contact_id,
                                 "tenant_id": tenant_id, "name": f"Customer {number}", "phones": [phone_of(number)],
                                 "emails": [], "identities": [], "attributes": {}, "tags": [],
                                 "created_at": "2026-01-01T00:00:00.000Z", **fields})
            # the phone identifier, as the directory writes it: a reply from the number finds the contact
            batch.put_item(Item={**keys.identifier(tenant_id, "phone", phone_of(number)), "contact_id": contact_id})
            ids.append(contact_id)
    return ids


def create_campaign(api: Any, token: str, contact_ids: list[str], **overrides: Any) -> dict[str, Any]:
    body = {"name": "Spring sale", "channel_id": CHANNEL,
            "template": {"name": SPRING_SALE["name"], "language": SPRING_SALE["language"]},
            "parameters": PARAMETERS, **overrides}
    status, campaign = api.call("POST", "/campaigns", body, token=token)
    assert status == 201, campaign
    for start in range(0, len(contact_ids), 1000):
        status, added = api.call("POST", f"/campaigns/{campaign['campaign_id']}/recipients",
                                 {"contact_ids": contact_ids[start:start + 1000]}, token=token)
        assert status == 200, added
    return campaign


def fire(campaign_id: str, tenant_id: str = TENANT) -> dict[str, Any]:
    """What the campaign's schedule does when it fires: invoke campaign_dispatch with its input."""
    return invoke(function("campaign_dispatch"), {"tenant_id": tenant_id, "campaign_id": campaign_id})


def queued_sends(outbound_url: str) -> list[dict[str, Any]]:
    """Every send request on the outbound queue (received and deleted)."""
    sqs = boto3.client("sqs")
    found = []
    while True:
        messages = sqs.receive_message(QueueUrl=outbound_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=outbound_url, ReceiptHandle=message["ReceiptHandle"])


def counts(api: Any, token: str, campaign_id: str) -> dict[str, int]:
    status, campaign = api.call("GET", f"/campaigns/{campaign_id}", token=token)
    assert status == 200, campaign
    return {state: n for state, n in campaign["counts"].items() if n}
