"""The WhatsApp Cloud (Graph) API over requests, with urllib3's Retry.

Reads (GET) are retried with backoff on connection errors, 429 and 5xx. Writes (POST) are retried only
when the request never left (connection errors), because a POST that reached Meta may have sent a
message; their throttling and 5xx answers come back as ``GraphError`` with ``retryable`` set, and the
send worker retries them through its queue, with backoff, at the channel's throughput.
Errors are told apart by Meta's ``error.code``, never by HTTP status alone (reference §5).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from switchboard.errors import SwitchboardError
from switchboard.tracing import span

TIMEOUT = (3.05, 15)
MAX_MEDIA_BYTES = 100 * 1024 * 1024

# Throttling, pair rate, temporary failures, maintenance, app/WABA call limits.
SEND_ENDPOINTS = ("messages", "marketing_messages")
RETRYABLE_CODES = frozenset({130429, 131056, 131000, 131016, 2, 133004, 131057, 4, 80007})


class GraphError(SwitchboardError):
    code = "graph_error"

    def __init__(self, status: int, error_code: int | None, message: str, details: str | None = None,
                 fbtrace_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.details = {"details": details, "fbtrace_id": fbtrace_id}

    @property
    def retryable(self) -> bool:
        if self.error_code is not None:
            return self.error_code in RETRYABLE_CODES
        return self.status == 429 or self.status >= 500

    @classmethod
    def from_response(cls, response: requests.Response) -> GraphError:
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        return cls(response.status_code, error.get("code"), error.get("message") or response.reason or "error",
                   (error.get("error_data") or {}).get("details"), error.get("fbtrace_id"))


class GraphUnreachable(GraphError):
    """Timeouts and connection failures after urllib3's retries. Retryable, except a write whose answer
    timed out: Meta may have sent that message, and sending again could deliver it twice, so its outcome
    is reported as unknown instead (``provider_code``)."""

    def __init__(self, message: str, may_have_arrived: bool = False) -> None:
        super().__init__(0, None, message)
        self.may_have_arrived = may_have_arrived
        self.provider_code = "outcome_unknown" if may_have_arrived else "unreachable"

    @property
    def retryable(self) -> bool:
        return not self.may_have_arrived


@cache
def _session() -> requests.Session:
    session = requests.Session()
    reads = Retry(total=3, connect=3, read=2, status=3, backoff_factor=0.3, allowed_methods={"GET"},
                  status_forcelist=(429, 500, 502, 503, 504), raise_on_status=False, respect_retry_after_header=True)
    # Writes: connection failures only (the request never left); read=0 and status=0 keep a POST that may
    # have reached Meta from being repeated, whatever the method list says.
    writes = Retry(total=2, connect=2, read=0, status=0, other=0, allowed_methods=None, backoff_factor=0.2)
    session.mount("http://", _MethodAwareAdapter(reads, writes))
    session.mount("https://", _MethodAwareAdapter(reads, writes))
    return session


def reset() -> None:
    """Forget the session and its pooled connections (after a SnapStart restore, switchboard.snapstart)."""
    _session.cache_clear()


class _MethodAwareAdapter(HTTPAdapter):
    """One pool; GETs use the read retry policy, everything else the write policy."""

    def __init__(self, reads: Retry, writes: Retry) -> None:
        super().__init__(max_retries=reads, pool_connections=4, pool_maxsize=32)
        self.reads = reads
        self.writes = writes

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.max_retries = self.reads if request.method == "GET" else self.writes
        return super().send(request, *args, **kwargs)


class GraphClient:
    def __init__(self, base_url: str, access_token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {access_token}"}

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            with span("graph.request", method=method):  # no URL: it may carry ids of customers
                response = _session().request(method, url, headers=self.headers, timeout=TIMEOUT, **kwargs)
        except requests.ReadTimeout as exc:
            raise GraphUnreachable(f"Graph API did not answer in time ({method})",
                                   may_have_arrived=method != "GET") from exc
        except requests.RequestException as exc:
            raise GraphUnreachable(f"Graph API unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise GraphError.from_response(response)
        return response

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._call("GET", f"{self.base_url}/{path.lstrip('/')}", params=params).json()

    def get_url(self, url: str) -> dict[str, Any]:
        """GET an absolute URL Meta handed us (``paging.next``)."""
        return self._call("GET", url).json()

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"{self.base_url}/{path.lstrip('/')}", json=payload).json()

    def send_message(self, phone_number_id: str, payload: dict[str, Any], endpoint: str = "messages") -> str:
        """POST /{phone_number_id}/messages (or ``marketing_messages``, the Marketing Messages API, which takes
        the same body for a marketing template); returns the wamid."""
        if endpoint not in SEND_ENDPOINTS:
            raise ValueError(f"not a send endpoint: {endpoint}")
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
        return self.post(f"{phone_number_id}/{endpoint}", body)["messages"][0]["id"]

    def typing(self, phone_number_id: str, wamid: str) -> None:
        """Mark ``wamid`` read and show the typing indicator (dismissed by our reply or after 25 seconds)."""
        self.post(f"{phone_number_id}/messages", {"messaging_product": "whatsapp", "status": "read",
                                                  "message_id": wamid, "typing_indicator": {"type": "text"}})

    def throughput_level(self, phone_number_id: str) -> str | None:
        """The number's throughput level (``STANDARD``: 80 mps, ``HIGH``: 1,000 mps)."""
        level = (self.get(phone_number_id, {"fields": "throughput"}).get("throughput") or {}).get("level")
        return str(level) if level else None

    def mark_read(self, phone_number_id: str, wamid: str) -> None:
        self.post(f"{phone_number_id}/messages", {"messaging_product": "whatsapp", "status": "read",
                                                  "message_id": wamid})

    def media_url(self, media_id: str) -> dict[str, Any]:
        """GET /{media_id}: url, mime_type, sha256, file_size (the url needs the token too)."""
        return self.get(media_id)

    def download(self, url: str, max_bytes: int = MAX_MEDIA_BYTES) -> bytes:
        response = self._call("GET", url, stream=True)
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise GraphError(413, 131052, "media larger than WhatsApp's limit")
            chunks.append(chunk)
        return b"".join(chunks)

    def upload_media(self, phone_number_id: str, content: bytes, mime_type: str, filename: str) -> str:
        response = self._call("POST", f"{self.base_url}/{phone_number_id}/media",
                              data={"messaging_product": "whatsapp", "type": mime_type},
                              files={"file": (filename, content, mime_type)})
        return response.json()["id"]
