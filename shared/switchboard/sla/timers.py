"""The SLA timers of one session, as pure transitions (docs/sla.md): a session's ``sla`` map and a fact
(a customer message, an operator's reply, resolve, reopen, a new policy, a due time reached) give the next
map and the domain events to publish. No I/O: the consumer (sla/consumer.py) reads, applies, writes.

The map: ``policy_id``, ``rev`` (bumped by every write: the consumer's optimistic condition), ``period``
(when the session's current open period began: its creation or last reopening), ``awaiting_reply`` (a
customer message waits for an operator's reply), ``replied`` (an operator has replied in this session),
and one entry per target (``first_response``, ``next_response``, ``resolution``):
``state`` (active, paused, met, breached, stopped), ``target_seconds``, ``started_at`` (the current run),
``counted_seconds`` (counted before the current run: resolution pauses), ``due_at`` (while active),
``met_at`` + ``elapsed_seconds``, ``breached_at``, ``paused_at``, ``stopped_at``."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from switchboard import clock
from switchboard.sla import business_time

FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION = "first_response", "next_response", "resolution"
TARGETS = (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION)
ACTIVE, PAUSED, MET, BREACHED, STOPPED = "active", "paused", "met", "breached", "stopped"
BREACHED_EVENT, MET_EVENT = "session.sla_breached", "session.sla_met"


@dataclass(frozen=True)
class Policy:
    policy_id: str
    seconds: dict[str, int]  # target -> seconds (a target the policy does not set is absent)

    @classmethod
    def of(cls, item: dict[str, Any] | None) -> Policy | None:
        if not item:
            return None
        seconds = {t: int(item[f"{t}_seconds"]) for t in TARGETS if item.get(f"{t}_seconds")}
        return cls(str(item["policy_id"]), seconds)


@dataclass
class Change:
    """The next map and what to publish (detail type, detail without tenant_id)."""

    sla: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def breached(self) -> bool:
        return any((self.sla.get(t) or {}).get("state") == BREACHED for t in TARGETS)


def _iso(moment: datetime) -> str:
    return clock.iso(moment)


def _run(target_seconds: int, at: datetime, hours: dict | None, counted: int = 0) -> dict[str, Any]:
    due = business_time.add(at, max(target_seconds - counted, 0), hours)
    return {"state": ACTIVE, "target_seconds": target_seconds, "started_at": _iso(at), "counted_seconds": counted,
            "due_at": _iso(due)}


def _counted(timer: dict[str, Any], at: datetime, hours: dict | None) -> int:
    counted = int(timer.get("counted_seconds") or 0)
    if timer.get("state") == ACTIVE:
        counted += business_time.elapsed(clock.parse_iso(timer["started_at"]), at, hours)
    return counted


class Timers:
    """One transition at a time on a copy of the session's map."""

    def __init__(self, sla: dict[str, Any] | None, session_id: str, hours: dict | None) -> None:
        self.sla: dict[str, Any] = copy.deepcopy(sla or {})
        self.session_id = session_id
        self.hours = hours
        self.events: list[tuple[str, dict[str, Any]]] = []

    def change(self) -> Change:
        return Change(self.sla, self.events)

    def _timer(self, target: str) -> dict[str, Any] | None:
        return self.sla.get(target)

    def _state(self, target: str) -> str | None:
        return (self.sla.get(target) or {}).get("state")

    def _met(self, target: str, at: datetime) -> None:
        timer = self.sla[target]
        elapsed = _counted(timer, at, self.hours)
        self.sla[target] = {k: v for k, v in timer.items() if k not in ("due_at", "paused_at")} | {
            "state": MET, "met_at": _iso(at), "elapsed_seconds": elapsed}
        self.events.append((MET_EVENT, {"session_id": self.session_id, "target": target, "met_at": _iso(at),
                                        "elapsed_seconds": elapsed, "policy_id": self.sla.get("policy_id")}))

    def _stop(self, target: str, at: datetime) -> None:
        timer = self.sla[target]
        self.sla[target] = {k: v for k, v in timer.items() if k != "due_at"} | {"state": STOPPED,
                                                                             "stopped_at": _iso(at)}

    def _pause(self, target: str, at: datetime) -> None:
        timer = self.sla[target]
        self.sla[target] = {k: v for k, v in timer.items() if k != "due_at"} | {
            "state": PAUSED, "counted_seconds": _counted(timer, at, self.hours), "paused_at": _iso(at)}

    def _resume(self, target: str, at: datetime) -> None:
        timer = self.sla[target]
        self.sla[target] = _run(int(timer["target_seconds"]), at, self.hours, int(timer.get("counted_seconds") or 0))

    # --- the facts -------------------------------------------------------------------------------------

    def attach(self, policy: Policy | None, period: str, at: datetime, waiting_since: datetime | None = None) -> None:
        """The policy the session falls under now (none: no timers start). A different policy retargets
        the running timers from their start; a target it does not set stops. A first policy on a session
        whose customer already waits starts its timers from ``waiting_since`` (the open period's start)."""
        self.sla.setdefault("period", period)
        if policy is None or self.sla.get("policy_id") == policy.policy_id:
            return
        first = not self.sla.get("policy_id")
        self.sla["policy_id"] = policy.policy_id
        if first and waiting_since is not None and not any(self._timer(t) for t in TARGETS):
            self.sla["awaiting_reply"] = False
            self.customer_message(policy, waiting_since)
            return
        now = at
        for target in TARGETS:
            timer = self._timer(target)
            if not timer or timer.get("state") not in (ACTIVE, PAUSED):
                continue
            if target not in policy.seconds:
                self._stop(target, now)
                continue
            timer["target_seconds"] = policy.seconds[target]
            if timer["state"] == ACTIVE:
                started = clock.parse_iso(timer["started_at"])
                self.sla[target] = _run(policy.seconds[target], started, self.hours,
                                        int(timer.get("counted_seconds") or 0))

    def customer_message(self, policy: Policy | None, at: datetime) -> None:
        if policy is None or not self.sla.get("policy_id"):
            self.sla["awaiting_reply"] = True
            return
        seconds = policy.seconds
        waiting_already = bool(self.sla.get("awaiting_reply"))
        if self._timer(FIRST_RESPONSE) is None and not self.sla.get("replied"):
            if FIRST_RESPONSE in seconds:
                self.sla[FIRST_RESPONSE] = _run(seconds[FIRST_RESPONSE], at, self.hours)
        elif (self.sla.get("replied") and not waiting_already and NEXT_RESPONSE in seconds
              and self._state(NEXT_RESPONSE) != ACTIVE):
            self.sla[NEXT_RESPONSE] = _run(seconds[NEXT_RESPONSE], at, self.hours)
        if self._timer(RESOLUTION) is None and RESOLUTION in seconds:
            self.sla[RESOLUTION] = _run(seconds[RESOLUTION], at, self.hours)
        elif self._state(RESOLUTION) == PAUSED:
            self._resume(RESOLUTION, at)
        self.sla["awaiting_reply"] = True

    def operator_reply(self, at: datetime) -> None:
        for target in (FIRST_RESPONSE, NEXT_RESPONSE):
            if self._state(target) == ACTIVE:
                self._met(target, at)
        if self._state(RESOLUTION) == ACTIVE:
            self._pause(RESOLUTION, at)  # awaiting the customer
        self.sla["awaiting_reply"] = False
        self.sla["replied"] = True

    def no_reply_needed(self, at: datetime) -> None:
        """The customer's message needs no reply: the response timer stops, neither met nor breached."""
        for target in (FIRST_RESPONSE, NEXT_RESPONSE):
            if self._state(target) == ACTIVE:
                self._stop(target, at)
        self.sla["awaiting_reply"] = False
        self.sla["replied"] = True

    def resolved(self, at: datetime) -> None:
        """Every timer stops: a response still running stops, resolution is met (unless breached)."""
        for target in (FIRST_RESPONSE, NEXT_RESPONSE):
            if self._state(target) == ACTIVE:
                self._stop(target, at)
        if self._state(RESOLUTION) in (ACTIVE, PAUSED):
            self._met(RESOLUTION, at)
        self.sla["awaiting_reply"] = False

    def reopened(self, policy: Policy | None, period: str, at: datetime) -> None:
        """A new open period: what still ran stops, resolution counts again from zero, paused until the
        customer writes (a customer's reopening message resumes it)."""
        self.resolved(at)
        self.sla["period"] = period
        if policy is not None and RESOLUTION in policy.seconds and self.sla.get("policy_id"):
            self.sla[RESOLUTION] = {"state": PAUSED, "target_seconds": policy.seconds[RESOLUTION],
                                    "counted_seconds": 0, "paused_at": _iso(at)}

    def due(self, target: str, due_at: str, at: datetime) -> None:
        """A target's schedule fired: breached if that timer is still running with that due time."""
        timer = self._timer(target)
        if not timer or timer.get("state") != ACTIVE or timer.get("due_at") != due_at:
            return
        self.sla[target] = timer | {"state": BREACHED, "breached_at": _iso(at)}
        self.events.append((BREACHED_EVENT, {"session_id": self.session_id, "target": target, "due_at": due_at,
                                             "breached_at": _iso(at), "policy_id": self.sla.get("policy_id")}))


def running(sla: dict[str, Any] | None) -> dict[str, str]:
    """target -> due_at of the timers that run (each has a one-time schedule)."""
    return {t: str(v["due_at"]) for t in TARGETS if (v := (sla or {}).get(t)) and v.get("state") == ACTIVE}
