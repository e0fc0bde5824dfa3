"""Files operators send: the types WhatsApp takes and their size limits (reference §9), a tenant's own
allow-list, and where an upload lives in the bucket (always under its tenant)."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.domain.uploads import belongs_to, issued_for, upload_key  # noqa: F401 - where they were
from switchboard.errors import InvalidInput

MB = 1024 * 1024


@dataclass(frozen=True)
class MediaType:
    kind: str  # the Graph message type: image, audio, video, document, sticker
    max_bytes: int


WHATSAPP_MEDIA: dict[str, MediaType] = {
    "image/jpeg": MediaType("image", 5 * MB),
    "image/png": MediaType("image", 5 * MB),
    "image/webp": MediaType("sticker", 500 * 1024),
    "audio/aac": MediaType("audio", 16 * MB),
    "audio/amr": MediaType("audio", 16 * MB),
    "audio/mpeg": MediaType("audio", 16 * MB),
    "audio/mp4": MediaType("audio", 16 * MB),
    "audio/ogg": MediaType("audio", 16 * MB),
    "video/mp4": MediaType("video", 16 * MB),
    "video/3gpp": MediaType("video", 16 * MB),
    "text/plain": MediaType("document", 100 * MB),
    "application/pdf": MediaType("document", 100 * MB),
    "application/msword": MediaType("document", 100 * MB),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": MediaType("document", 100 * MB),
    "application/vnd.ms-excel": MediaType("document", 100 * MB),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": MediaType("document", 100 * MB),
    "application/vnd.ms-powerpoint": MediaType("document", 100 * MB),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": MediaType("document", 100 * MB),
}


def media_type(content_type: str, size: int, allowed: list[str] | None, field: str = "content_type") -> MediaType:
    """The WhatsApp kind of a file, or InvalidInput when the tenant or WhatsApp does not take it."""
    base = content_type.split(";")[0].strip().lower()
    spec = WHATSAPP_MEDIA.get(base)
    if spec is None:
        raise InvalidInput(f"WhatsApp does not take files of type {base}", field=field)
    if allowed is not None and base not in allowed:
        raise InvalidInput(f"files of type {base} are not allowed for this tenant", field=field)
    if size > spec.max_bytes:
        raise InvalidInput(f"{spec.kind} files are at most {spec.max_bytes // 1024} KB on WhatsApp",
                           field="size")
    return spec
