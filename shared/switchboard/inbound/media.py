"""The retryable media step: after a message with media is stored, a ``media`` job on the inbound queue
(its own FIFO group, so a slow or failing download never holds up the customer's next messages) fetches
the file from the Graph API with the channel's token, checks its sha256 against Meta's, stores it in S3
and marks the message ``available``. A failure marks it ``failed`` and raises, so the queue retries the
job; after the last retry the job waits in the DLQ. The file is never dropped silently."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from typing import Any

from switchboard.clients.eventbus import DomainEvent
from switchboard.clients.graph import GraphClient, GraphError
from switchboard.domain import messages
from switchboard.errors import SwitchboardError, UnknownChannel
from switchboard.observability import count
from switchboard.services import Services
from switchboard.storage.channels import whatsapp_secrets
from switchboard.storage.media import object_key
from switchboard.domain.inbound_queue import WhatsAppEvent

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class MediaUnavailable(SwitchboardError):
    """The file could not be fetched or did not match its checksum; the job is retried."""

    code = "media_unavailable"


def media_job(event: WhatsAppEvent) -> WhatsAppEvent:
    """The job that fetches the media of a stored message (idempotent: an available file is kept)."""
    return WhatsAppEvent(kind="media", tenant_id=event.tenant_id, channel_id=event.channel_id,
                       event_id=f"media:{event.event_id}", group=f"{event.channel_id}:media:{event.event_id}",
                       field=event.field, waba_id=event.waba_id,
                       payload={"provider_message_id": event.event_id})


def sha256_matches(content: bytes, expected: str | None) -> bool:
    """Meta gives the sha256 as hex (media URL lookup) or base64 (webhooks); no value: nothing to check."""
    if not expected:
        return True
    digest = hashlib.sha256(content).digest()
    return expected.strip().lower() == digest.hex() or expected.strip() == base64.b64encode(digest).decode()


def file_name(media: dict[str, Any], mime_type: str) -> str:
    if media.get("filename"):
        cleaned = _SAFE_NAME.sub("_", str(media["filename"])).strip("._")
        if cleaned:
            return cleaned[:120]
    extension = mimetypes.guess_extension(mime_type.split(";")[0].strip()) or ".bin"
    return f"{media['media_id']}{extension}"


def fetch_media(event: WhatsAppEvent, services: Services) -> list[DomainEvent]:
    provider_message_id = event.payload["provider_message_id"]
    location = services.statuses.locate(event.tenant_id, provider_message_id)
    if location is None or not location.get("message_pk"):
        return []  # nothing stored under that id (the job is only queued after the store)
    message_key = {"pk": location["message_pk"], "sk": location["message_sk"]}
    message = services.media.message(message_key)
    media = (message or {}).get("media")
    if not message or not media or media.get("status") == messages.MEDIA_AVAILABLE:
        return []
    channel = services.channels.by_id(event.channel_id)
    if channel is None or channel.tenant_id != event.tenant_id:
        raise UnknownChannel(f"channel {event.channel_id} is gone")
    graph = GraphClient(services.settings.graph_base_url, whatsapp_secrets(channel).access_token)
    try:
        info = graph.media_url(media["media_id"])
        content = graph.download(info["url"])
        # Both checksums Meta gave, the webhook's and the lookup's: a lookup cannot vouch for other bytes
        # than the ones the customer sent.
        for expected in (media.get("sha256"), info.get("sha256")):
            if not sha256_matches(content, expected):
                raise MediaUnavailable("the downloaded file does not match Meta's sha256")
    except (GraphError, MediaUnavailable, KeyError) as exc:
        reason = exc.message if isinstance(exc, SwitchboardError) else "the media lookup had no url"
        services.media.mark_failed(message_key, reason)
        count("MediaFetchFailed")
        raise MediaUnavailable(reason, provider_message_id=provider_message_id) from exc
    mime_type = str(info.get("mime_type") or media.get("mime_type") or "application/octet-stream")
    key = object_key(event.tenant_id, message["message_id"], file_name(media, mime_type))
    sha256_hex = hashlib.sha256(content).hexdigest()
    services.media.save_file(key, content, mime_type, sha256_hex)
    services.media.mark_available(message_key, key, len(content), sha256_hex, mime_type)
    count("MediaStored")
    return [DomainEvent("message.media_available", event.tenant_id, {
        "message_id": message["message_id"], "session_id": message.get("session_id"),
        "channel_id": event.channel_id})]
