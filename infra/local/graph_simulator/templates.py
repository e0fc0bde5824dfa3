"""The Graph API simulator's templates (reference §8, §2.3): ``GET /<waba_id>/message_templates`` with
Meta's cursor paging, an in-memory template set that tests and demos change, faults (rate limits 4 and
80007, an expired token 190) at a chosen page, and the four template webhooks, signed, posted to the
runtime's ``/webhooks/whatsapp``.

``handle(method, parts, query, body)`` answers what is ours (``parts`` are the path segments after the
simulator's mount, with or without the ``v25.0`` version) and returns None for anything else.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from switchboard.whatsapp.signature import sign

from infra.local.api_server import Reply, json_reply

DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
_VERSION = re.compile(r"^v\d+(\.\d+)?$")
_ids = itertools.count(1_304_694_804_498_707)

# Meta's answers for the faults the sync must survive (reference §5).
ERRORS: dict[int, tuple[int, str]] = {
    4: (400, "(#4) Application request limit reached"),
    80007: (400, "(#80007) There have been too many calls to this WhatsApp Business account"),
    190: (401, "Error validating access token: Session has expired"),
    100: (400, "(#100) Invalid parameter"),
    2: (503, "(#2) Service temporarily unavailable"),
}

WEBHOOK_FIELDS = {
    "status": "message_template_status_update",
    "quality": "message_template_quality_update",
    "category": "template_category_update",
    "components": "message_template_components_update",
}


@dataclass
class Fault:
    code: int
    at_page: int
    times: int
    waba_id: str | None = None


class TemplateCatalog:
    """Every WABA's templates, in creation order (Meta lists newest first; the order does not matter to
    a sync, the completeness does)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._templates: dict[str, list[dict[str, Any]]] = {}
        self._faults: list[Fault] = []
        self.requests: list[dict[str, Any]] = []  # one entry per page served or refused
        self.base_url: str | None = None
        self.webhook_url: str | None = None  # where created/deleted templates are announced (the runtime)
        self.app_secret: str | None = None

    def configure(self, webhook_url: str | None = None, app_secret: str | None = None,
                  base_url: str | None = None) -> None:
        """The runtime's webhook endpoint and app secret: templates created or deleted through the API
        are then announced with a signed ``message_template_status_update``, as Meta does."""
        self.webhook_url, self.app_secret = webhook_url, app_secret
        if base_url:
            self.base_url = base_url

    def _announce(self, waba_id: str, template: dict[str, Any], event: str) -> None:
        if not self.webhook_url or not self.app_secret:
            return
        url, secret = self.webhook_url, self.app_secret

        def post() -> None:
            raw, headers = signed_webhook(template_webhook("status", waba_id, template, event=event), secret)
            try:
                requests.post(url, data=raw, headers=headers, timeout=10)
            except requests.RequestException:
                pass  # Meta would retry; the hourly sync catches up

        threading.Thread(target=post, name="template-webhook", daemon=True).start()

    # --- the set ----------------------------------------------------------------------------------------

    def put(self, waba_id: str, template: dict[str, Any]) -> dict[str, Any]:
        """Add a template, or replace the one with the same name and language. Returns it (with its id)."""
        stored = {
            "status": "APPROVED",
            "category": "UTILITY",
            "parameter_format": "POSITIONAL",
            "components": [],
            **template,
        }
        stored.setdefault("id", str(next(_ids)))
        with self._lock:
            templates = self._templates.setdefault(waba_id, [])
            for position, existing in enumerate(templates):
                if (existing["name"], existing["language"]) == (stored["name"], stored["language"]):
                    stored["id"] = template.get("id", existing["id"])
                    templates[position] = stored
                    return dict(stored)
            templates.append(stored)
        return dict(stored)

    def put_all(self, waba_id: str, templates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self.put(waba_id, t) for t in templates]

    def remove(self, waba_id: str, name: str, language: str | None = None) -> int:
        with self._lock:
            before = self._templates.get(waba_id, [])
            after = [t for t in before if not (t["name"] == name and language in (None, t["language"]))]
            self._templates[waba_id] = after
            return len(before) - len(after)

    def update(self, waba_id: str, name: str, language: str, **fields: Any) -> dict[str, Any]:
        """Change a template's fields (status, quality_score, category, components, …)."""
        with self._lock:
            for template in self._templates.get(waba_id, []):
                if (template["name"], template["language"]) == (name, language):
                    template.update(fields)
                    return dict(template)
        raise KeyError(f"{name} ({language}) is not a template of {waba_id}")

    def get(self, waba_id: str, name: str, language: str) -> dict[str, Any]:
        with self._lock:
            for template in self._templates.get(waba_id, []):
                if (template["name"], template["language"]) == (name, language):
                    return json.loads(json.dumps(template))
        raise KeyError(f"{name} ({language}) is not a template of {waba_id}")

    def templates(self, waba_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return json.loads(json.dumps(self._templates.get(waba_id, [])))

    def reset(self) -> None:
        with self._lock:
            self._templates.clear()
            self._faults.clear()
            self.requests.clear()
        self.webhook_url = self.app_secret = None

    # --- faults -----------------------------------------------------------------------------------------

    def fail(self, code: int, at_page: int = 1, times: int = 1, waba_id: str | None = None) -> None:
        """Answer the ``at_page``-th page of a listing with Meta's error ``code``, ``times`` times."""
        if code not in ERRORS:
            raise ValueError(f"no simulated answer for error {code}")
        with self._lock:
            self._faults.append(Fault(code, at_page, times, waba_id))

    def _fault_for(self, waba_id: str, page: int) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.at_page == page and fault.waba_id in (None, waba_id):
                    fault.times -= 1
                    return fault
        return None

    # --- the endpoint -----------------------------------------------------------------------------------

    def list_page(self, waba_id: str, query: dict[str, list[str]]) -> Reply:
        one = {k: v[-1] for k, v in query.items() if v}
        try:
            limit = min(max(int(one.get("limit", DEFAULT_LIMIT)), 1), MAX_LIMIT)
            offset = _decode_cursor(one["after"]) if one.get("after") else 0
        except ValueError:
            return _error(100)
        page_number = offset // limit + 1
        fault = self._fault_for(waba_id, page_number)
        self.requests.append(
            {
                "waba_id": waba_id,
                "page": page_number,
                "offset": offset,
                "limit": limit,
                "fault": fault.code if fault else None,
                "at": time.time(),
            }
        )
        if fault:
            return _error(fault.code)
        with self._lock:
            matching = [t for t in self._templates.get(waba_id, []) if _matches(t, one)]
            chunk = json.loads(json.dumps(matching[offset : offset + limit]))
        fields = [f for f in one.get("fields", "").split(",") if f]
        data = [_project(t, fields) for t in chunk]
        body: dict[str, Any] = {"data": data}
        if data:
            body["paging"] = {
                "cursors": {"before": _encode_cursor(offset), "after": _encode_cursor(offset + len(data))}
            }
            if offset + len(data) < len(matching):
                following = {k: v for k, v in one.items() if k != "before"}
                following.update(after=_encode_cursor(offset + len(data)), limit=str(limit))
                body["paging"]["next"] = f"{self._base()}/{waba_id}/message_templates?{urlencode(following)}"
        return json_reply(200, body)

    def create(self, waba_id: str, body: bytes) -> Reply:
        """``POST /<waba_id>/message_templates``: name, language, category, components (and, a simulator
        extension, ``status``: the template is APPROVED at once unless another status is given)."""
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return _error(100)
        if not isinstance(payload, dict) or not all(payload.get(k) for k in ("name", "language", "category")):
            return _error(100)
        payload["category"] = str(payload["category"]).upper()
        created = self.put(waba_id, payload)
        self._announce(waba_id, created, created["status"])
        return json_reply(200, {"id": created["id"], "status": created["status"], "category": created["category"]})

    def delete(self, waba_id: str, query: dict[str, list[str]]) -> Reply:
        """``DELETE /<waba_id>/message_templates?name=…`` (every language of the name)."""
        name = (query.get("name") or [""])[-1]
        gone = [t for t in self.templates(waba_id) if t["name"] == name]
        if not name or not self.remove(waba_id, name):
            return _error(100)
        for template in gone:
            self._announce(waba_id, template, "DELETED")
        return json_reply(200, {"success": True})

    def _base(self) -> str:
        return (
            self.base_url or os.environ.get("GRAPH_API_BASE_URL") or "https://graph.facebook.com/v25.0"
        ).rstrip("/")


catalog = TemplateCatalog()


def seed_demo(waba_id: str) -> None:
    """The demo account's templates (reference §8's examples): a positional marketing template with a
    text header, a URL button and a quick reply, and a named utility template with an image header."""
    catalog.put_all(waba_id, [
        {"name": "coupon_expiration_reminder", "language": "en", "status": "APPROVED", "category": "MARKETING",
         "sub_category": "CUSTOM", "parameter_format": "POSITIONAL",
         "quality_score": {"score": "GREEN", "date": 1751247548},
         "components": [
             {"type": "HEADER", "format": "TEXT", "text": "Act fast, {{1}}!"},
             {"type": "BODY", "text": "Your coupon code, {{1}}, *expires in only {{2}} days!*"},
             {"type": "FOOTER", "text": "Lucky Shrub Succulents"},
             {"type": "BUTTONS", "buttons": [
                 {"type": "URL", "text": "See deals", "url": "https://www.luckyshrub.com/deals/{{1}}"},
                 {"type": "QUICK_REPLY", "text": "Unsubscribe"}]}]},
        {"name": "reservation_confirmation", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
         "parameter_format": "NAMED",
         "components": [
             {"type": "HEADER", "format": "IMAGE"},
             {"type": "BODY", "text": "Your reservation for {{number_of_guests}} on {{day}} is confirmed."},
             {"type": "BUTTONS", "buttons": [{"type": "PHONE_NUMBER", "text": "Call us",
                                              "phone_number": "+16467043595"}]}]},
        {"name": "order_update", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
         "parameter_format": "POSITIONAL",
         "components": [{"type": "BODY", "text": "Hi {{1}}, your order {{2}} is on its way."}]},
    ])


def handle(method: str, parts: list[str], query: dict[str, list[str]], body: bytes) -> Reply | None:
    """The simulator's router calls this first; None means "not a templates request"."""
    segments = [p for p in parts if p]
    if segments and _VERSION.match(segments[0]):
        segments = segments[1:]
    if len(segments) == 2 and segments[1] == "message_templates":
        if method == "GET":
            return catalog.list_page(segments[0], query)
        if method == "POST":
            return catalog.create(segments[0], body)
        if method == "DELETE":
            return catalog.delete(segments[0], query)
        return _error(100)
    return None


# --- webhooks -------------------------------------------------------------------------------------------


def template_webhook(kind: str, waba_id: str, template: dict[str, Any], **change: Any) -> dict[str, Any]:
    """The webhook body Meta posts for a template event. ``kind``: status (``event``, ``reason``), quality
    (``previous``, ``new``), category (``previous``, ``new``) or components."""
    value: dict[str, Any] = {
        "message_template_id": int(template["id"]),
        "message_template_name": template["name"],
        "message_template_language": template["language"],
    }
    if kind == "status":
        value.update(
            event=change.get("event", template.get("status")),
            reason=change.get("reason", "NONE"),
            message_template_category=template.get("category"),
        )
        if change.get("rejection_info"):
            value["rejection_info"] = change["rejection_info"]
    elif kind == "quality":
        value.update(previous_quality_score=change.get("previous", "GREEN"), new_quality_score=change["new"])
    elif kind == "category":
        value.update(
            previous_category=change.get("previous", template.get("category")), new_category=change["new"]
        )
    elif kind == "components":
        value.update(_components_value(template.get("components") or []))
    else:
        raise ValueError(f"unknown template webhook kind {kind!r}; one of {', '.join(WEBHOOK_FIELDS)}")
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id,
                "time": int(time.time()),
                "changes": [{"field": WEBHOOK_FIELDS[kind], "value": value}],
            }
        ],
    }


def signed_webhook(body: dict[str, Any], app_secret: str) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, app_secret)}


def send_template_webhook(
    runtime_url: str, app_secret: str, kind: str, waba_id: str, template: dict[str, Any], **change: Any
) -> int:
    """Post the template webhook, signed, to the runtime; returns the HTTP status it answered."""
    raw, headers = signed_webhook(template_webhook(kind, waba_id, template, **change), app_secret)
    return requests.post(
        f"{runtime_url.rstrip('/')}/webhooks/whatsapp", data=raw, headers=headers, timeout=10
    ).status_code


def _components_value(components: list[dict[str, Any]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for component in components:
        kind = str(component.get("type", "")).upper()
        if kind == "HEADER" and component.get("text"):
            value["message_template_title"] = component["text"]
        elif kind == "BODY":
            value["message_template_element"] = component.get("text", "")
        elif kind == "FOOTER":
            value["message_template_footer"] = component.get("text", "")
        elif kind == "BUTTONS":
            value["message_template_buttons"] = [
                {
                    "message_template_button_type": b.get("type"),
                    "message_template_button_text": b.get("text"),
                    **({"message_template_button_url": b["url"]} if b.get("url") else {}),
                    **(
                        {"message_template_button_phone_number": b["phone_number"]}
                        if b.get("phone_number")
                        else {}
                    ),
                }
                for b in component.get("buttons") or []
            ]
    return value


# --- helpers --------------------------------------------------------------------------------------------


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        text = base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("bad cursor") from exc
    if not text.startswith("offset:"):
        raise ValueError("bad cursor")
    return int(text.split(":", 1)[1])


def _matches(template: dict[str, Any], query: dict[str, str]) -> bool:
    if query.get("name") and query["name"] not in template["name"]:
        return False
    if query.get("status") and template.get("status", "").upper() != query["status"].upper():
        return False
    return not (query.get("language") and template.get("language") != query["language"])


def _project(template: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    if not fields:
        fields = ["name", "parameter_format", "components", "language", "status", "category", "sub_category"]
    projected = {f: template[f] for f in fields if f in template}
    projected["id"] = template["id"]
    return projected


def _error(code: int) -> Reply:
    status, message = ERRORS[code]
    return json_reply(
        status,
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "is_transient": code in (4, 80007, 2),
                "fbtrace_id": f"Sim{code}{int(time.time() * 1000) % 100000}",
            }
        },
    )
