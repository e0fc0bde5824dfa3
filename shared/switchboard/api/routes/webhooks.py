"""Webhook routes, open at the gateway and verified in code (signatures over the raw bytes)."""

from __future__ import annotations

import base64

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from switchboard.api.errors import error_body, json_response
from switchboard.errors import BadSignature, InvalidInput, PayloadTooLarge, QueueUnavailable, UnknownChannel
from switchboard.inbound.receipt import receive_whatsapp, record_refused_number, verify_subscription
from switchboard.observability import count
from switchboard.services import services

router = Router()


def raw_body(event: BaseProxyEvent) -> bytes:
    """The exact bytes the provider signed: base64 bodies decoded, text bodies re-encoded as UTF-8."""
    if event.body is None:
        return b""
    return base64.b64decode(event.body) if event.is_base64_encoded else event.body.encode()


@router.get("/webhooks/whatsapp")
def whatsapp_handshake() -> Response:
    params = router.current_event.query_string_parameters or {}
    try:
        challenge = verify_subscription(params.get("hub.mode"), params.get("hub.verify_token"),
                                        params.get("hub.challenge"), services().channels)
    except BadSignature as exc:
        return json_response(403, error_body(exc.code, exc.message))
    return Response(200, "text/plain", challenge)


@router.post("/webhooks/whatsapp")
def whatsapp_updates() -> Response:
    event = router.current_event
    try:
        receipt = receive_whatsapp(raw_body(event), event.headers.get("x-hub-signature-256"),
                                   services().channels, services().inbound_queue,
                                   record_refused_number(services().webhook_updates))
    except BadSignature as exc:
        count("WebhookBadSignature")
        return json_response(401 if exc.missing else 403, error_body(exc.code, exc.message))
    except UnknownChannel as exc:
        count("WebhookUnknownChannel")
        return json_response(403, error_body(exc.code, exc.message))
    except InvalidInput as exc:
        count("WebhookInvalidBody")
        return json_response(400, error_body(exc.code, exc.message, exc.field))
    except PayloadTooLarge as exc:
        count("WebhookEventTooLarge")
        return json_response(413, error_body(exc.code, exc.message))
    except QueueUnavailable as exc:
        count("WebhookQueueFailed")
        return json_response(503, error_body(exc.code, "events could not be queued; retry"))
    count("WebhookEventsQueued", receipt.queued)
    return json_response(200, {"queued": receipt.queued})
