"""CSAT: after resolve, on channels whose admin enabled it (``csat_enabled``), the customer is asked for
a rating from 1 to 5 while they can still be reached:

- WhatsApp: an interactive list, only inside the 24-hour customer-service window, never outside it
  (Chatwoot #11569); the reply's row id (``csat:<session_id>:<rating>``) is recognised in the consumer of
  ``message.received`` (never on the inbound hot path);
- email: five signed links (HMAC-SHA256 over tenant, session and expiry, with the tenant's own key in
  Secrets Manager) to ``GET /csat/{token}?rating=``, a public route.

It goes the way every send goes (stored ``queued``, the outbound queue), once per resolution (its
idempotency key names the session and the resolution). The rating and comment land on the session; a
second answer replaces the first; each answer publishes ``session.csat_received`` for the reports."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from switchboard import clock, ids
from switchboard.clients.eventbus import DomainEvent
from switchboard.clients.secrets import read_or_create_secret, read_secret_if_any
from switchboard.domain import sessions
from switchboard.domain.principal import Principal
from switchboard.errors import Conflict, InvalidInput, NotFound
from switchboard.outbound.models import Interactive, ListRow, ListSection, SendMessageRequest
from switchboard.outbound.sending import build_outgoing, commit_and_enqueue, fingerprint, message_record
from switchboard.reports.aggregates import day_of
from switchboard.services import Services
from switchboard.storage.outbound import Staging, send_request_item
from switchboard.storage.reports import CsatStore

logger = Logger(service="csat_survey", child=True)
SENDER = "csat_survey"
REPLY_PREFIX = sessions.SURVEY_REPLY_PREFIX
LINK_VALIDITY = timedelta(days=14)
RATINGS = {5: "5 - Excellent", 4: "4 - Good", 3: "3 - Okay", 2: "2 - Poor", 1: "1 - Very poor"}
MAX_COMMENT = 1000
QUESTION = "How satisfied are you with our help? Please rate us from 1 to 5."


# --- the signed link --------------------------------------------------------------------------------

def _key_name(services: Services, tenant_id: str) -> str:
    return f"{services.settings.secrets_prefix}{tenant_id}/csat-signing-key"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: str, tenant_id: str, session_id: str, expires_at: datetime) -> str:
    body = _b64(json.dumps({"t": tenant_id, "s": session_id, "e": int(expires_at.timestamp())},
                           separators=(",", ":")).encode())
    mac = hmac.new(key.encode(), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def claims_of(token: str) -> dict[str, Any]:
    """The token's claims, unverified (the tenant names the key to verify with)."""
    body, _, _ = token.partition(".")
    try:
        claims = json.loads(_unb64(body))
    except ValueError as exc:
        raise InvalidInput("not a survey link", field="token") from exc
    if not isinstance(claims, dict) or not all(isinstance(claims.get(k), t) for k, t in
                                               (("t", str), ("s", str), ("e", int))):
        raise InvalidInput("not a survey link", field="token")
    return claims


def verify(key: str | None, token: str, now: datetime) -> dict[str, Any]:
    claims = claims_of(token)
    body, _, mac = token.partition(".")
    expected = _b64(hmac.new(key.encode(), body.encode(), hashlib.sha256).digest()) if key else ""
    if not key or not hmac.compare_digest(expected, mac):
        raise InvalidInput("the survey link's signature is wrong", field="token")
    if claims["e"] < now.timestamp():
        raise InvalidInput("the survey link has expired", field="token")
    return claims


def link(services: Services, tenant_id: str, session_id: str, rating: int, now: datetime) -> str:
    key = read_or_create_secret(_key_name(services, tenant_id), lambda: secrets.token_urlsafe(32),
                                "Signs a tenant's CSAT survey links")
    token = sign(key, tenant_id, session_id, now + LINK_VALIDITY)
    return f"{services.settings.public_api_url.rstrip('/')}/csat/{token}?rating={rating}"


# --- the survey after resolve -------------------------------------------------------------------------

def _request(services: Services, kind: str, tenant_id: str, session_id: str, now: datetime) -> SendMessageRequest:
    if kind == "whatsapp":
        rows = [ListRow(id=f"{REPLY_PREFIX}{session_id}:{rating}", title=title) for rating, title in RATINGS.items()]
        return SendMessageRequest(interactive=Interactive(type="list", body=QUESTION, button="Rate us",
                                                          sections=[ListSection(rows=rows)]))
    lines = [QUESTION, ""] + [f"{title}: {link(services, tenant_id, session_id, rating, now)}"
                              for rating, title in RATINGS.items()]
    return SendMessageRequest(text="\n".join(lines), subject="How did we do?")


def send_survey(services: Services, tenant_id: str, session_id: str, now: datetime) -> list[DomainEvent]:
    """After ``session.resolved``: the survey, if the channel asks for one and the customer can be reached."""
    session = services.sessions.get(tenant_id, session_id)
    if session is None or session.get("status") != sessions.RESOLVED or not session.get("resolved_at"):
        return []  # reopened (or gone) before the survey went out: no survey for an open conversation
    channel = services.channels.get(tenant_id, session["channel_id"])
    if channel is None or channel.disabled or not getattr(channel, "csat_enabled", False):
        return []
    if channel.kind == "whatsapp":
        last_inbound = session.get("last_inbound_at")
        expires = sessions.window_expires_at(clock.parse_iso(last_inbound)) if last_inbound else None
        if expires is None or expires <= now:
            logger.info("survey not sent: the window is closed", session_id=session_id)
            return []
    resolved_at = str(session["resolved_at"])
    request = _request(services, channel.kind, tenant_id, session_id, now)
    caller = Principal(tenant_id=tenant_id, operator_id=SENDER, role="operator")
    key = f"csat-{session_id}-{resolved_at}"
    print_ = fingerprint("csat", session_id, resolved_at)
    try:
        outgoing = build_outgoing(services, caller, session, channel, request)
        message = message_record(tenant_id, channel.channel_id, outgoing, session_id, session.get("contact_id"),
                                 SENDER, clock.iso(now))
        accepted = commit_and_enqueue(services, Staging(message, send_request_item(tenant_id, key, print_, message)),
                                      tenant_id, key, print_)
    except Conflict as refused:
        logger.info("survey not sent", session_id=session_id, code=refused.code)
        return []
    CsatStore(services.table).mark_survey_sent(tenant_id, session_id, resolved_at, clock.iso(now))
    return [DomainEvent("session.csat_requested", tenant_id,
                        {"session_id": session_id, "message_id": accepted.message["message_id"]})]


# --- the answer ----------------------------------------------------------------------------------------

def rating_of_reply(detail: dict[str, Any]) -> tuple[str, int] | None:
    """(session id, rating) of a customer's reply to the WhatsApp survey, else None."""
    if detail.get("kind") != "interactive" or detail.get("suppressed"):
        return None
    content = (detail.get("message") or {}).get("content") or {}
    reply = content.get(content.get("type", "")) if isinstance(content, dict) else None
    row_id = str((reply or {}).get("id") or "")
    if not row_id.startswith(REPLY_PREFIX):
        return None
    session_id, _, rating = row_id[len(REPLY_PREFIX):].rpartition(":")
    if not session_id or rating not in {str(r) for r in RATINGS}:
        return None
    return session_id, int(rating)


def record(services: Services, tenant_id: str, session_id: str, rating: int, comment: str | None,
           contact_id: str | None = None) -> dict[str, Any]:
    """Store the answer on the session (a second one replaces the first) and publish it for the reports."""
    if rating not in RATINGS:
        raise InvalidInput("a rating from 1 to 5", field="rating")
    if comment is not None and len(comment) > MAX_COMMENT:
        raise InvalidInput(f"at most {MAX_COMMENT} characters", field="comment")
    session = services.sessions.get(tenant_id, session_id)
    if session is None or (contact_id is not None and session.get("contact_id") != contact_id):
        raise NotFound("no such survey", session_id=session_id)
    now_iso = clock.iso(clock.now())
    bucket = {"day": day_of(str(session.get("resolved_at") or now_iso)),
              "operator": session.get("operator_id") or "none", "group": session.get("group_id") or "none",
              "channel": session["channel_id"]}
    before = CsatStore(services.table).record_answer(tenant_id, session_id, rating, comment or None, now_iso, bucket)
    if before is None:
        raise NotFound("no survey was sent for this session", session_id=session_id)
    services.bus.publish([DomainEvent("session.csat_received", tenant_id, {
        "session_id": session_id, "rating": rating, "previous_rating": before.get("csat_rating"),
        "bucket": before.get("csat_bucket") or bucket, "answer_id": ids.new_id(), "answered_at": now_iso})])
    return services.sessions.get(tenant_id, session_id) or {}


def answer_link(services: Services, token: str, rating: int, comment: str | None) -> dict[str, Any]:
    """``GET /csat/{token}``: the link's rating recorded (no sign-in: the signature is the proof)."""
    claims = claims_of(token)
    key = read_secret_if_any(_key_name(services, claims["t"]))
    claims = verify(key, token, clock.now())
    return record(services, claims["t"], claims["s"], rating, comment)
