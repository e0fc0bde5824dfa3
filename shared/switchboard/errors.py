"""Domain errors: small, typed, each with a stable machine-readable code.

``switchboard.api.errors`` is the one place that turns them into HTTP responses.
"""

from __future__ import annotations

from typing import Any


class SwitchboardError(Exception):
    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigurationError(SwitchboardError):
    code = "configuration_error"


class InvalidInput(SwitchboardError):
    """The request is malformed; ``field`` names what is wrong. The same code as a request that fails the
    models' validation: one code for invalid input across the API."""

    code = "validation_error"

    def __init__(self, message: str, field: str | None = None, **details: Any) -> None:
        super().__init__(message, field=field, **details)
        self.field = field


class NotFound(SwitchboardError):
    code = "not_found"


class Forbidden(SwitchboardError):
    code = "forbidden"


class Unauthorized(SwitchboardError):
    code = "unauthorized"


class Conflict(SwitchboardError):
    code = "conflict"

    def __init__(self, message: str, code: str | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        if code:
            self.code = code


class PayloadTooLarge(SwitchboardError):
    code = "payload_too_large"


class BadSignature(SwitchboardError):
    """A webhook whose signature is missing (``missing=True``) or wrong."""

    code = "bad_signature"

    def __init__(self, message: str, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


class NotAcceptable(SwitchboardError):
    """A webhook delivery we will never accept (the provider should stop retrying): HTTP 406."""

    code = "not_acceptable"


class UnknownChannel(SwitchboardError):
    code = "unknown_channel"


class QueueUnavailable(SwitchboardError):
    """Events could not be queued; the webhook must answer 5xx so the provider retries."""

    code = "queue_unavailable"


class ConcurrentUpdate(SwitchboardError):
    """A conditional write lost a race; the caller re-reads and tries again."""

    code = "concurrent_update"


class PublishFailed(SwitchboardError):
    """Domain events could not be published; the unit of work is retried."""

    code = "publish_failed"


class TooManyRequests(SwitchboardError):
    """Asked again too soon (a typing indicator per session every few seconds); ``retry_after_s`` says when."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class ProviderUnavailable(SwitchboardError):
    """The channel's provider (the Graph API) refused or did not answer; nothing was changed."""

    code = "provider_unavailable"
