"""The Graph API simulator: routes, state and limits. Thread-safe (the local HTTP server is threaded).

Endpoints (under the mount, e.g. ``/_graph``; Graph paths carry a version such as ``/v25.0``):
  POST /{phone_number_id}/messages   send (validated like Meta: error 100) or mark read ({"status":"read"})
  POST /{phone_number_id}/marketing_messages   a marketing template through the Marketing Messages API
                                     (131055 while its terms are not accepted, 131049 per-user marketing limit)
  GET  /{phone_number_id}?fields=throughput    {"throughput": {"level": "STANDARD" | "HIGH"}, "id"}
  POST /{phone_number_id}/media      upload (multipart) -> {"id"}
  GET  /{media_id}                   {"url", "mime_type", "sha256", "file_size", "id"}
  GET  /_media/{media_id}            the bytes (needs the bearer token, like lookaside.fbsbx.com)
  DELETE /{media_id}
  POST /_faults                      switch faults and limits on (JSON fields of ``Faults``)
  GET  /_sent, GET /_stats, POST /_reset
  POST /_emit/{kind}                 a customer-side webhook (BSUIDs, calls: graph_simulator/bsuid.py)
  POST /_coexistence/{kind}          emit a coexistence webhook (echo, history, ...: coexistence.py)
Template management (``/{waba_id}/message_templates``) is answered by ``templates.py`` when it exists.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import requests

from infra.local.api_server import Reply, json_reply
from infra.local.graph_simulator import bsuid as bsuid_simulator
from infra.local.graph_simulator import coexistence
from infra.local.graph_simulator import templates as template_simulator
from infra.local.graph_simulator.callbacks import CallbackScheduler
from infra.local.graph_simulator.validation import InvalidParameter, check_send
from switchboard import clock
from switchboard.whatsapp.signature import sign

_VERSION_PREFIX = "v"

ERRORS: dict[int, tuple[int, str, str]] = {
    # code: (HTTP status, message, details)
    100: (400, "(#100) Invalid parameter", "Invalid parameter"),
    190: (401, "Error validating access token", "The access token is missing or invalid."),
    130429: (400, "(#130429) Rate limit hit", "Cloud API message throughput has been reached."),
    131056: (400, "(#131056) (Business Account, Consumer Account) pair rate limit hit",
             "Message failed to send because there were too many messages sent from this phone number to the "
             "same phone number in a short period of time."),
    131000: (500, "(#131000) Something went wrong", "Message failed to send due to an unknown error."),
    131016: (503, "(#131016) Service unavailable", "A service is temporarily unavailable."),
    131026: (400, "(#131026) Message Undeliverable", "Message Undeliverable."),
    131047: (400, "(#131047) Re-engagement message", "More than 24 hours have passed since the recipient "
             "last replied to the sender number."),
    131053: (400, "(#131053) Media upload error", "Unable to upload the media used in the message."),
    132001: (400, "(#132001) Template name does not exist in the translation",
             "template name does not exist in the translation"),
    368: (403, "(#368) Temporarily blocked for policies violations", "The account is restricted."),
    bsuid_simulator.BSUID_NOT_SUPPORTED: bsuid_simulator.ERROR,
    131049: (400, "(#131049) This message was not delivered to maintain healthy ecosystem engagement.",
             "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."),
    131055: (400, "(#131055) Method not allowed", "The business has not accepted the Marketing Messages API "
             "for WhatsApp terms of service."),
}


@dataclass
class Faults:
    """What tests switch on. Rates are probabilities per send; ``recipient_errors`` fails every send to a
    number (digits, no '+') with a fixed code."""

    error_5xx_rate: float = 0.0  # 131000, HTTP 500
    unavailable_rate: float = 0.0  # 131016, HTTP 503
    throttle_rate: float = 0.0  # 130429, on top of the real limit
    recipient_errors: dict[str, int] = field(default_factory=dict)
    # the first send to a number fails with the code, the next ones pass (131056, the pair rate limit)
    recipient_errors_once: dict[str, int] = field(default_factory=dict)
    marketing_terms_accepted: bool = True  # False: /marketing_messages answers 131055
    pricing_category: str = "utility"  # the pricing category of a template sent to /messages, in statuses
    latency_ms: int = 0
    throughput_mps: int = 80  # per phone number, per second (10% burst tolerance)
    pair_limit: int = 45  # messages to one recipient ...
    pair_window_s: float = 6.0  # ... within this many seconds (131056 beyond)
    status_callbacks: bool = True
    callback_delays_s: list[float] = field(default_factory=lambda: [0.1, 0.3, 0.6])  # sent, delivered, read
    callback_batch: int = 1  # statuses due together per webhook POST (Meta: up to 1,000, not guaranteed)
    seed: int | None = None


@dataclass
class Sent:
    wamid: str
    phone_number_id: str
    to: str
    type: str
    payload: dict[str, Any]
    at: float
    endpoint: str = "messages"


def _error(code: int, details: str | None = None) -> Reply:
    status, message, default_details = ERRORS.get(code, (400, f"(#{code}) Error", "Error"))
    return json_reply(status, {"error": {
        "message": message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details or default_details},
        "fbtrace_id": secrets.token_urlsafe(12)}})


class GraphSimulator:
    def __init__(self, webhook_url: str | None = None, public_url: str = "",
                 deliver: Callable[[bytes, dict[str, str]], Any] | None = None,
                 numbers: dict[str, dict[str, str]] | None = None, faults: Faults | None = None) -> None:
        """``webhook_url`` (or ``deliver(raw, headers)``) receives the signed status webhooks; ``public_url``
        is where this simulator is mounted (media download URLs); ``numbers`` maps a phone_number_id to
        {"app_secret", "waba_id", "display_phone_number"} (found through the channel store when absent)."""
        self.webhook_url = webhook_url
        self.public_url = public_url.rstrip("/")
        self._deliver = deliver
        self.numbers = dict(numbers or {})
        self.faults = faults or Faults()
        self._random = random.Random(self.faults.seed)  # noqa: S311 - fault injection, not security
        self._lock = threading.Lock()
        self.sent: list[Sent] = []
        self.read_receipts: list[str] = []
        self.typing_indicators: list[str] = []
        self.attempts: Counter[str] = Counter()  # send requests per recipient, refused ones included
        self.rejected: Counter[int] = Counter()
        self.media: dict[str, tuple[bytes, str]] = {}
        self._per_second: dict[tuple[str, int], int] = defaultdict(int)
        self._pairs: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self.callbacks = CallbackScheduler(self._post_webhook)

    # -- the Python API tests use ----------------------------------------------------------------------
    def configure(self, **changes: Any) -> Faults:
        with self._lock:
            known = {f.name for f in fields(Faults)}
            unknown = set(changes) - known
            if unknown:
                raise ValueError(f"unknown fault settings: {sorted(unknown)}")
            for name, value in changes.items():
                setattr(self.faults, name, value)
            self.callbacks.max_batch = max(1, int(self.faults.callback_batch))
            if "seed" in changes:
                self._random = random.Random(changes["seed"])  # noqa: S311
            return self.faults

    def reset(self) -> None:
        with self._lock:
            self.faults = Faults()
            self._random = random.Random()  # noqa: S311
            self.sent.clear()
            self.read_receipts.clear()
            self.typing_indicators.clear()
            self.attempts.clear()
            self.rejected.clear()
            self._per_second.clear()
            self._pairs.clear()

    def sends_per_message(self) -> Counter[str]:
        """How many times each of our messages was accepted (by ``biz_opaque_callback_data``)."""
        with self._lock:
            return Counter(s.payload.get("biz_opaque_callback_data", s.wamid) for s in self.sent)

    def add_media(self, content: bytes, mime_type: str) -> str:
        media_id = str(self._random.randrange(10**15, 10**16))
        with self._lock:
            self.media[media_id] = (content, mime_type)
        return media_id

    def close(self) -> None:
        self.callbacks.stop()

    def customer_webhook(self, kind: str, phone_number_id: str, **fields: Any) -> tuple[bytes, dict[str, str]]:
        """A signed webhook of the customer's side (``graph_simulator/bsuid.py``: ``bsuid_text``,
        ``user_changed_user_id``, ``user_id_update``, ``shared_phone``, ``call``)."""
        if kind not in bsuid_simulator.CUSTOMER_WEBHOOKS:
            raise ValueError(f"unknown customer webhook '{kind}'")
        return getattr(bsuid_simulator, kind)(self._number(phone_number_id), phone_number_id, **fields)

    def emit(self, kind: str, phone_number_id: str, **fields: Any) -> None:
        """Deliver a customer-side webhook to the webhook URL, as Meta would."""
        raw, headers = self.customer_webhook(kind, phone_number_id, **fields)
        if self._deliver is not None:
            self._deliver(raw, headers)
        elif self.webhook_url:
            requests.post(self.webhook_url, data=raw, headers=headers, timeout=30).raise_for_status()

    # -- HTTP -----------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Reply:
        parts = [p for p in path.strip("/").split("/") if p]
        if parts and parts[0].startswith("_"):
            return self._control(method, parts, headers, body)
        if parts and parts[0].startswith(_VERSION_PREFIX) and parts[0][1:].replace(".", "").isdigit():
            parts = parts[1:]
        reply = template_simulator.handle(method, parts, query, body)
        if reply is not None:
            return reply
        lower = {k.lower(): v for k, v in headers.items()}
        if not lower.get("authorization", "").startswith("Bearer ") or len(lower["authorization"]) < 8:
            return _error(190)
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)
        if method == "POST" and len(parts) == 2 and parts[1] == "messages":
            return self._messages(parts[0], body)
        if method == "POST" and len(parts) == 2 and parts[1] == "marketing_messages":
            return self._messages(parts[0], body, endpoint="marketing_messages")
        if method == "GET" and len(parts) == 1 and "throughput" in ",".join(query.get("fields", [])):
            return self._throughput(parts[0])
        if method == "POST" and len(parts) == 2 and parts[1] == "media":
            return self._upload(lower.get("content-type", ""), body)
        if method == "GET" and len(parts) == 1:
            return self._media_info(parts[0])
        if method == "DELETE" and len(parts) == 1:
            with self._lock:
                found = self.media.pop(parts[0], None)
            return json_reply(200, {"success": True}) if found else _error(100, "unknown media id")
        return json_reply(400, {"error": {"message": "Unsupported request", "type": "GraphMethodException",
                                          "code": 100, "fbtrace_id": secrets.token_urlsafe(12)}})

    def _control(self, method: str, parts: list[str], headers: dict[str, str], body: bytes) -> Reply:
        if parts[0] == "_faults" and method == "POST":
            try:
                faults = self.configure(**json.loads(body or b"{}"))
            except (ValueError, TypeError) as exc:
                return json_reply(400, {"code": "bad_faults", "message": str(exc)})
            return json_reply(200, asdict(faults))
        if parts[0] == "_faults":
            return json_reply(200, asdict(self.faults))
        if parts[0] == "_emit" and len(parts) == 2 and method == "POST":  # POST /_emit/<kind> {phone_number_id, ...}
            try:
                fields_ = json.loads(body or b"{}")
                self.emit(parts[1], str(fields_.pop("phone_number_id")), **fields_)
            except (ValueError, TypeError, KeyError, LookupError) as exc:
                return json_reply(400, {"code": "bad_emit", "message": str(exc)})
            return json_reply(200, {"emitted": parts[1]})
        if parts[0] == "_coexistence" and len(parts) == 2 and method == "POST":
            params = json.loads(body or b"{}")
            try:
                emitted = self.emit_coexistence(parts[1], str(params.pop("phone_number_id")), **params)
            except (ValueError, TypeError, KeyError, LookupError) as exc:
                return json_reply(400, {"code": "bad_coexistence_webhook", "message": str(exc)})
            return json_reply(200, {"emitted": emitted})
        if parts[0] == "_reset" and method == "POST":
            self.reset()
            return json_reply(200, {"reset": True})
        if parts[0] == "_sent":
            with self._lock:
                return json_reply(200, {"sent": [asdict(s) for s in self.sent], "read_receipts": self.read_receipts})
        if parts[0] == "_stats":
            counts = self.sends_per_message()
            return json_reply(200, {"accepted": sum(counts.values()), "messages": len(counts),
                                    "sent_more_than_once": sorted(k for k, v in counts.items() if v > 1),
                                    "rejected": {str(k): v for k, v in self.rejected.items()},
                                    "read_receipts": len(self.read_receipts),
                                    "callbacks_delivered": self.callbacks.delivered,
                                    "callbacks_pending": self.callbacks.pending()})
        if parts[0] == "_media" and len(parts) == 2 and method == "GET":
            lower = {k.lower(): v for k, v in headers.items()}
            if not lower.get("authorization", "").startswith("Bearer "):
                return _error(190)
            with self._lock:
                found = self.media.get(parts[1])
            if found is None:
                return json_reply(404, {"error": {"message": "not found", "code": 100}})
            return Reply(200, {"Content-Type": found[1]}, found[0])
        return json_reply(404, {"code": "route_not_found", "message": "no such simulator endpoint"})

    # -- sends ----------------------------------------------------------------------------------------
    def _messages(self, phone_number_id: str, raw: bytes, endpoint: str = "messages") -> Reply:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._reject(100, "the body is not JSON")
        if not isinstance(body, dict):
            return self._reject(100, "the body is not a JSON object")
        if body.get("status") == "read" and endpoint == "messages":
            if body.get("messaging_product") != "whatsapp" or not body.get("message_id"):
                return self._reject(100, "mark as read needs messaging_product and message_id")
            typing = body.get("typing_indicator")
            if typing is not None and typing != {"type": "text"}:
                return self._reject(100, "typing_indicator.type must be text")
            with self._lock:
                self.read_receipts.append(str(body["message_id"]))
                if typing is not None:
                    self.typing_indicators.append(str(body["message_id"]))
            return json_reply(200, {"success": True})
        if endpoint == "marketing_messages":
            refused = self._marketing_refusal(body)
            if refused is not None:
                return refused
        try:
            with self._lock:
                known_media = set(self.media)
            to = check_send(body, known_media)
        except InvalidParameter as invalid:
            return self._reject(100, invalid.details)
        refused = bsuid_simulator.refusal(body, lambda name, language: self._template_category(
            phone_number_id, name, language))
        if refused is not None:
            return self._reject(refused, bsuid_simulator.ERROR[2])
        with self._lock:
            self.attempts[to] += 1
            code = self._fault_or_limit(phone_number_id, to)
            if code is not None:
                self.rejected[code] += 1
                return _error(code)
            wamid = "wamid." + secrets.token_urlsafe(24)
            self.sent.append(Sent(wamid, phone_number_id, to, str(body.get("type", "text")), body, time.time(),
                                  endpoint))
        if self.faults.status_callbacks:
            pricing = self.pricing_of(body, endpoint)
            for status, delay in zip(("sent", "delivered", "read"), self.faults.callback_delays_s, strict=False):
                self.callbacks.schedule(delay, {"phone_number_id": phone_number_id, "wamid": wamid, "to": to,
                                                "status": status, "pricing": pricing,
                                                "biz_opaque_callback_data": body.get("biz_opaque_callback_data")})
        return json_reply(200, {"messaging_product": "whatsapp",
                                "contacts": [bsuid_simulator.send_contact(body, to)],
                                "messages": [{"id": wamid}]})

    def _template_category(self, phone_number_id: str, name: str, language: str) -> str | None:
        try:
            waba_id = self._number(phone_number_id)["waba_id"]
            return template_simulator.catalog.get(waba_id, name, language).get("category")
        except (LookupError, KeyError):
            return None

    def _marketing_refusal(self, body: dict[str, Any]) -> Reply | None:
        """What the Marketing Messages API refuses before sending: anything but a template, and every send
        while the business has not accepted its terms (131055)."""
        if body.get("type") != "template":
            return self._reject(100, "the Marketing Messages API sends marketing templates only")
        if not self.faults.marketing_terms_accepted:
            return self._reject(131055, ERRORS[131055][2])
        return None

    def pricing_of(self, body: dict[str, Any], endpoint: str) -> dict[str, Any]:
        """Meta's per-message pricing object of a send, as its statuses carry it: templates are billed in
        their category (marketing through the Marketing Messages API); other messages answer inside the
        customer service window, free."""
        if body.get("type") == "template":
            category = "marketing" if endpoint == "marketing_messages" else self.faults.pricing_category
            return {"billable": True, "pricing_model": "PMP", "type": "regular", "category": category}
        return {"billable": False, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"}

    def _throughput(self, phone_number_id: str) -> Reply:
        level = "HIGH" if self.faults.throughput_mps >= 1000 else "STANDARD"
        return json_reply(200, {"throughput": {"level": level}, "id": phone_number_id})

    def _reject(self, code: int, details: str) -> Reply:
        with self._lock:
            self.rejected[code] += 1
        return _error(code, details)

    def _fault_or_limit(self, phone_number_id: str, to: str) -> int | None:
        """Under the lock: a fault, a per-recipient error, or one of Meta's limits; None to accept."""
        faults = self.faults
        if to in faults.recipient_errors:
            return int(faults.recipient_errors[to])
        if to in faults.recipient_errors_once:
            return int(faults.recipient_errors_once.pop(to))
        roll = self._random.random()
        if roll < faults.error_5xx_rate:
            return 131000
        roll -= faults.error_5xx_rate
        if roll < faults.unavailable_rate:
            return 131016
        roll -= faults.unavailable_rate
        if roll < faults.throttle_rate:
            return 130429
        now = clock.now().timestamp()
        second = (phone_number_id, int(now))
        if self._per_second[second] >= faults.throughput_mps + max(1, faults.throughput_mps // 10):
            return 130429
        window = self._pairs[(phone_number_id, to)]
        while window and window[0] <= now - faults.pair_window_s:
            window.popleft()
        if len(window) >= faults.pair_limit:
            return 131056
        self._per_second[second] += 1
        window.append(now)
        if len(self._per_second) > 600:
            for key in [k for k in self._per_second if k[1] < int(now) - 60]:
                del self._per_second[key]
        return None

    # -- media ----------------------------------------------------------------------------------------
    def _upload(self, content_type: str, raw: bytes) -> Reply:
        if not content_type.startswith("multipart/form-data"):
            return self._reject(100, "media upload is multipart/form-data")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + raw)
        form: dict[str, Any] = {}
        file_part = None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "file":
                file_part = part
            elif name:
                form[name] = part.get_content().strip() if part.get_content_maintype() == "text" else part.get_payload(decode=True)
        if file_part is None or form.get("messaging_product") != "whatsapp":
            return self._reject(100, "messaging_product and file are required")
        content = file_part.get_payload(decode=True) or b""
        mime = str(form.get("type") or file_part.get_content_type())
        if mime.split("/")[0] not in ("image", "audio", "video", "text", "application"):
            return self._reject(131053, f"unsupported media type {mime}")
        return json_reply(200, {"id": self.add_media(content, mime)})

    def _media_info(self, media_id: str) -> Reply:
        with self._lock:
            found = self.media.get(media_id)
        if found is None:
            return _error(100, "unknown media id")
        content, mime = found
        return json_reply(200, {"messaging_product": "whatsapp", "url": f"{self.public_url}/_media/{media_id}",
                                "mime_type": mime, "sha256": hashlib.sha256(content).hexdigest(),
                                "file_size": len(content), "id": media_id})

    # -- status webhooks ------------------------------------------------------------------------------
    def _number(self, phone_number_id: str) -> dict[str, str]:
        known = self.numbers.get(phone_number_id)
        if known is None:
            from switchboard.services import services
            from switchboard.storage.channels import whatsapp_secrets

            channel = services().channels.by_phone_number_id(phone_number_id)
            if channel is None:
                raise LookupError(f"no channel serves {phone_number_id}")
            known = {"app_secret": whatsapp_secrets(channel).app_secret, "waba_id": channel.waba_id or "",
                     "display_phone_number": channel.display_phone_number or ""}
            self.numbers[phone_number_id] = known
        return known

    def status_webhook(self, phone_number_id: str, wamid: str, to: str, status: str,
                       biz_opaque_callback_data: str | None = None) -> tuple[bytes, dict[str, str]]:
        return self.statuses_webhook(phone_number_id, [{
            "wamid": wamid, "to": to, "status": status, "biz_opaque_callback_data": biz_opaque_callback_data}])

    def statuses_webhook(self, phone_number_id: str, statuses: list[dict[str, Any]]) -> tuple[bytes, dict[str, str]]:
        """One signed webhook carrying ``statuses`` ({wamid, to, status, biz_opaque_callback_data}) of a number."""
        number = self._number(phone_number_id)
        items = []
        for status in statuses:
            item: dict[str, Any] = {"id": status["wamid"], "status": status["status"],
                                    "timestamp": str(int(clock.now().timestamp())),
                                    **bsuid_simulator.recipient_fields(status["to"])}
            if status.get("biz_opaque_callback_data"):
                item["biz_opaque_callback_data"] = status["biz_opaque_callback_data"]
            if status.get("pricing"):
                item["pricing"] = status["pricing"]
            items.append(item)
        body = {"object": "whatsapp_business_account", "entry": [{"id": number["waba_id"], "changes": [{
            "field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {
                "display_phone_number": number["display_phone_number"], "phone_number_id": phone_number_id},
                "statuses": items}}]}]}
        raw = json.dumps(body).encode()
        return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, number["app_secret"])}

    # -- coexistence (a number also used in the WhatsApp Business app): coexistence.py ------------------
    def coexistence_webhooks(self, kind: str, phone_number_id: str, **params: Any) -> list[tuple[bytes, dict[str, str]]]:
        """The signed webhooks Meta would send for ``kind`` (echo, history, history_declined, state_sync)."""
        number = self._number(phone_number_id)
        signed = []
        for body in coexistence.bodies_for(kind, number, phone_number_id, params):
            raw = json.dumps(body).encode()
            signed.append((raw, {"Content-Type": "application/json",
                                 "X-Hub-Signature-256": sign(raw, number["app_secret"])}))
        return signed

    def emit_coexistence(self, kind: str, phone_number_id: str, **params: Any) -> int:
        """Post them to the webhook, in order; how many were posted."""
        webhooks = self.coexistence_webhooks(kind, phone_number_id, **params)
        for raw, headers in webhooks:
            if self._deliver is not None:
                self._deliver(raw, headers)
            elif self.webhook_url:
                requests.post(self.webhook_url, data=raw, headers=headers, timeout=30).raise_for_status()
        return len(webhooks)

    def _post_webhook(self, payloads: list[dict]) -> None:
        by_number: dict[str, list[dict]] = defaultdict(list)
        for payload in payloads:
            by_number[payload["phone_number_id"]].append(payload)
        for phone_number_id, statuses in by_number.items():
            raw, headers = self.statuses_webhook(phone_number_id, statuses)
            if self._deliver is not None:
                self._deliver(raw, headers)
            elif self.webhook_url:
                requests.post(self.webhook_url, data=raw, headers=headers, timeout=30).raise_for_status()
