"""The webhooks are served by an API Gateway HTTP API (payload format 2.0): webhook_receipt reads that event
as AWS sends it (the body base64-encoded, header names lower-cased), checks the signature on the decoded
bytes, and the local runtime builds the same shape for the routes declared api="http"."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3

from functions.webhook_receipt import handler as webhook_handler
from infra.declaration import function
from infra.local.lambdas import LambdaContext
from tests.support.whatsapp import envelope, signed, text_message


def _v2_event(raw: bytes, signature: str) -> dict[str, Any]:
    """An HTTP API payload format 2.0 event as AWS documents it (Working with AWS Lambda proxy integrations
    for HTTP APIs), for Meta's POST: the JSON body base64-encoded, as API Gateway may hand it over."""
    return {
        "version": "2.0",
        "routeKey": "POST /webhooks/whatsapp",
        "rawPath": "/webhooks/whatsapp",
        "rawQueryString": "",
        "headers": {
            "accept": "*/*",
            "content-length": str(len(raw)),
            "content-type": "application/json",
            "host": "r3pmxmplak.execute-api.eu-west-1.amazonaws.com",
            "user-agent": "facebookexternalua",
            "x-amzn-trace-id": "Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e",
            "x-forwarded-for": "173.252.127.1",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            "x-hub-signature-256": signature,
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "r3pmxmplak",
            "domainName": "r3pmxmplak.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "r3pmxmplak",
            "http": {"method": "POST", "path": "/webhooks/whatsapp", "protocol": "HTTP/1.1",
                     "sourceIp": "173.252.127.1", "userAgent": "facebookexternalua"},
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "POST /webhooks/whatsapp",
            "stage": "$default",
            "time": "10/Mar/2026:05:16:23 +0000",
            "timeEpoch": 1773119783000,
        },
        "body": base64.b64encode(raw).decode(),
        "isBase64Encoded": True,
    }


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    spec = function("webhook_receipt")
    return webhook_handler.handler(event, LambdaContext(spec.name, spec.memory_mb, spec.timeout_s))


def _queued(aws) -> int:  # noqa: ANN001
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=aws.queue_urls["inbound"], AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_a_signed_webhook_in_an_http_api_event_is_queued(aws, demo) -> None:
    raw, headers = signed(envelope([text_message(wamid="wamid.HTTPAPI")]))

    response = _invoke(_v2_event(raw, headers["X-Hub-Signature-256"]))

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"queued": 1}
    assert _queued(aws) == 1


def test_the_signature_is_checked_on_the_decoded_bytes_of_an_http_api_event(aws, demo) -> None:
    raw, headers = signed(envelope([text_message(wamid="wamid.TAMPERED")]))
    tampered = raw.replace(b"wamid.TAMPERED", b"wamid.TAMPERES")

    response = _invoke(_v2_event(tampered, headers["X-Hub-Signature-256"]))

    assert response["statusCode"] == 403
    assert json.loads(response["body"])["code"] == "bad_signature"
    assert _queued(aws) == 0


def test_the_local_gateway_gives_webhooks_the_http_api_event_and_operators_the_rest_event(api) -> None:
    gateway = api.gateway
    bindings = {(b.route.method, b.route.path): b for b in gateway.bindings}
    webhook, sessions = bindings[("POST", "/webhooks/whatsapp")], bindings[("GET", "/sessions")]
    headers = {"X-Hub-Signature-256": "sha256=ab", "Content-Type": "application/octet-stream"}

    v2 = gateway._event("POST", "/webhooks/whatsapp", {"a": ["1", "2"]}, headers, b"\xff\x00", webhook, {},
                        None, "10.0.0.1")
    rest = gateway._event("GET", "/sessions", {}, {}, b"", sessions, {}, {"sub": "op"}, "10.0.0.1")

    assert (v2["version"], v2["routeKey"], v2["requestContext"]["http"]["method"]) == (
        "2.0", "POST /webhooks/whatsapp", "POST")
    assert v2["headers"]["x-hub-signature-256"] == "sha256=ab"
    assert v2["queryStringParameters"] == {"a": "1,2"}
    assert (v2["isBase64Encoded"], base64.b64decode(v2["body"])) == (True, b"\xff\x00")
    assert "httpMethod" not in v2
    assert (rest["httpMethod"], rest["resource"]) == ("GET", "/sessions")
    assert rest["requestContext"]["authorizer"] == {"claims": {"sub": "op"}}
