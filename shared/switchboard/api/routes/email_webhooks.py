"""The email webhook (POST /webhooks/email/{channel_id}): Mailgun's raw-MIME route, verified in code.

Answers: 200 once the message is stored and queued; 401 without a signature; 403 for a wrong or stale
signature or a replayed token; 406 for what we will never accept (no such mailbox, no ``body-mime``, too
large), which tells Mailgun to stop retrying; 503 when it could not be queued, so Mailgun retries."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.errors import error_body, json_response
from switchboard.api.routes.webhooks import raw_body
from switchboard.email.receipt import receive_mailgun
from switchboard.errors import BadSignature, NotAcceptable, QueueUnavailable
from switchboard.observability import count
from switchboard.services import services

router = Router()


@router.post("/webhooks/email/<channel_id>")
def mailgun_mime(channel_id: str) -> Response:
    event = router.current_event
    content_type = event.headers.get("content-type") or event.headers.get("Content-Type") or ""
    try:
        receipt = receive_mailgun(channel_id, raw_body(event), content_type, services())
    except BadSignature as exc:
        count("EmailWebhookBadSignature")
        return json_response(401 if exc.missing else 403, error_body(exc.code, exc.message))
    except NotAcceptable as exc:
        count("EmailWebhookRefused")
        return json_response(406, error_body(exc.code, exc.message))
    except QueueUnavailable as exc:
        count("EmailWebhookQueueFailed")
        return json_response(503, error_body(exc.code, "the message could not be queued; retry"))
    count("EmailWebhookQueued", receipt.queued)
    return json_response(200, {"queued": receipt.queued})
