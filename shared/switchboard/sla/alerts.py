"""Unanswered alerts (docs/sla.md): when a customer's message waits longer than its group's
``unanswered_alert_seconds``, the assignee (or, unassigned, the group's members) gets an email through SES.

A waiting period begins with a customer's message on a session whose customer was not already waiting, and
ends with an operator's reply, "no reply needed" or resolve. Its alert is one schedule at (first message +
threshold); when it fires the alert is claimed with one conditional write (still scheduled for that time,
the session still unanswered and open), so it goes out once per period and never after a reply or "no
reply needed"."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from aws_lambda_powertools import Logger

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.clients.scheduler import Scheduler
from switchboard.clients.ses import SesClient, SesRefused
from switchboard.domain import sessions as session_rules
from switchboard.services import Services
from switchboard.sla import schedules
from switchboard.sla.schedules import ALERT

logger = Logger(service="sla_timers", child=True)

ALERT_EVENT = "session.unanswered_alert"
_ENDS = ("message.sent", "session.no_reply_needed", "session.resolved")
_GROUP_CHANGES = ("session.routed", "session.queued", "session.assigned", "session.transferred")


def follow(services: Services, scheduler: Scheduler, detail_type: str, detail: dict[str, Any], session: dict[str, Any],
           context: dict[str, Any], at: datetime) -> list[DomainEvent]:
    """Open the waiting period's alert on a customer's message (or when the waiting session gets a group);
    close it when the period ends."""
    t, session_id = str(session["tenant_id"]), str(session["session_id"])
    store = services.session_sla
    if detail_type in _ENDS:
        if (session.get("unanswered_alert") or {}).get("state") not in ("scheduled", "sent"):
            return []  # no period open (as read): nothing to close, no request
        if store.close_alert(t, session_id, clock.iso(at)):
            schedules.delete(scheduler, schedules.name(ALERT, t, session_id))
        return []
    threshold = int((context.get("group") or {}).get("unanswered_alert_seconds") or 0)
    waiting = session.get("unanswered") and session.get("status") != session_rules.RESOLVED
    if not threshold or not waiting:
        return []
    if detail_type == "message.received":
        since = at
    elif detail_type in _GROUP_CHANGES and session.get("last_inbound_at"):
        since = clock.parse_iso(str(session["last_inbound_at"]))
    else:
        return []
    due = since + timedelta(seconds=threshold)
    if due.microsecond:
        due = due.replace(microsecond=0) + timedelta(seconds=1)
    due_at = clock.iso(due)
    if store.open_alert(t, session_id, clock.iso(since), due_at):
        schedules.put(scheduler, schedules.name(ALERT, t, session_id), due,
                      {"kind": ALERT, "tenant_id": t, "session_id": session_id, "due_at": due_at})
    return []


def fire(services: Services, payload: dict[str, Any]) -> dict[str, Any]:
    t, session_id, due_at = str(payload["tenant_id"]), str(payload["session_id"]), str(payload["due_at"])
    store = services.session_sla
    session = store.claim_alert(t, session_id, due_at, clock.iso(clock.now()))
    if session is None:
        _close_if_answered(services, t, session_id, due_at)
        return {"alerted": 0}
    recipients = _recipients(services, t, session)
    sender = _sender(services, t, session)
    if not recipients or sender is None:
        logger.warning("unanswered alert has nobody to go to", session_id=session_id,
                       recipients=len(recipients), sender=sender is not None)
        return {"alerted": 0}
    mail = _mail(session, sender, recipients)
    try:
        SesClient(services.settings.ses_configuration_set).send_raw(
            mail.as_bytes(), sender, recipients, {"tenant_id": t, "kind": "unanswered_alert"})
    except SesRefused as refused:
        if refused.retryable:
            store.release_alert(t, session_id, due_at)
            raise
        logger.error("unanswered alert refused by SES", session_id=session_id, code=refused.code)
        return {"alerted": 0}
    alert = session.get("unanswered_alert") or {}
    services.bus.publish([DomainEvent(ALERT_EVENT, t, {
        "session_id": session_id, "operator_id": session.get("operator_id"), "group_id": session.get("group_id"),
        "waiting_since": alert.get("since"), "due_at": due_at, "alerted_at": alert.get("sent_at"),
        "recipients": len(recipients)})])
    logger.info("unanswered alert sent", session_id=session_id, recipients=len(recipients))
    return {"alerted": len(recipients)}


def _close_if_answered(services: Services, tenant_id: str, session_id: str, due_at: str) -> None:
    """The claim was refused: if the session no longer waits, its (missed) period is over, so the next
    customer message starts a new one."""
    session = services.session_sla.session(tenant_id, session_id)
    alert = (session or {}).get("unanswered_alert") or {}
    if session and alert.get("state") == "scheduled" and alert.get("due_at") == due_at and (
            not session.get("unanswered") or session.get("status") == session_rules.RESOLVED):
        services.session_sla.close_alert(tenant_id, session_id, clock.iso(clock.now()))


def _recipients(services: Services, tenant_id: str, session: dict[str, Any]) -> list[str]:
    """The assignee, or the members of the session's group when nobody is assigned (enabled operators)."""
    operator_id = session.get("operator_id")
    if operator_id:
        found = [o for o in [services.operators.get(tenant_id, str(operator_id))] if o]
    else:
        group = services.groups.get(tenant_id, str(session["group_id"])) if session.get("group_id") else None
        found = services.operators.get_many(tenant_id, list((group or {}).get("members") or {}))
    return sorted({str(o["email"]) for o in found if o.get("email") and not o.get("disabled")})


def _sender(services: Services, tenant_id: str, session: dict[str, Any]) -> str | None:
    """The session's mailbox, else the tenant's first mailbox (addresses SES already sends from)."""
    channels = services.channels.list(tenant_id)
    mailboxes = [c for c in channels if c.kind == "email" and c.address and not c.disabled]
    own = [c for c in mailboxes if c.channel_id == session.get("channel_id")]
    chosen = (own or mailboxes or [None])[0]
    return str(chosen.address) if chosen is not None else None


def _mail(session: dict[str, Any], sender: str, recipients: list[str]) -> EmailMessage:
    alert = session.get("unanswered_alert") or {}
    who = session.get("contact_name") or "A customer"
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Subject"] = f"Waiting for a reply: {who}"
    mail.set_content(
        f"{who} has been waiting for a reply since {alert.get('since')}"
        f" on {session.get('channel_display') or session.get('channel_id')}.\n\n"
        f"Session: {session['session_id']}\n")
    return mail
