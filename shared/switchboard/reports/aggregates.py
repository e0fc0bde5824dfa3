"""What each domain event adds to the reports' day cells: a pure plan (no I/O) from the event and the
session it is about. Every fact is attributed to the session's operator, group and channel as the session
stands when the fact is counted (resolve and CSAT carry theirs in the event), and to the UTC day of the
event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from switchboard import clock
from switchboard.storage.reports import CellChange, CountedFact

DIMENSIONS = ("operator", "group", "channel")
NONE = "none"  # the cell value of sessions without an operator (or group)
COUNTERS = ("opened", "resolved", "reopened", "messages_in", "messages_out", "sla_met", "sla_breached",
            "csat_count", "csat_sum")
DURATIONS = ("first_response_ms", "resolution_ms")  # kept in whole milliseconds, as timestamps are
# Outbound messages no operator wrote: they are counted as messages out but answer nobody.
AUTOMATED_SENDERS = frozenset({"away_message", "csat_survey"})

# The events the aggregates follow (infra/declaration.py).
EVENTS = ("session.created", "session.reopened", "session.resolved", "message.received", "message.sent",
          "session.sla_met", "session.sla_breached", "session.csat_received")

Session = dict[str, Any]


def day_of(at_iso: str) -> str:
    return at_iso[:10]


def ms_between(start_iso: str, end_iso: str) -> int:
    return max(0, round((clock.parse_iso(end_iso) - clock.parse_iso(start_iso)).total_seconds() * 1000))


def dimensions_of(session: Session, detail: dict[str, Any]) -> dict[str, str]:
    """The operator, group and channel a fact counts for: the event's when it names them, else the session's."""
    def pick(name: str) -> str:
        value = detail.get(name) if name in detail else session.get(name)
        return str(value) if value else NONE
    return {"operator": pick("operator_id"), "group": pick("group_id"), "channel": pick("channel_id")}


def cell(day: str, dims: dict[str, str], counters: dict[str, int],
         durations: dict[str, int] | None = None) -> CellChange:
    """The one cell a fact moves: its day's, for its operator, group and channel together."""
    return CellChange(day, dims["operator"], dims["group"], dims["channel"], counters, durations or {})


def _created(d: dict[str, Any], session: Session, event_id: str) -> CountedFact | None:
    at = str(session.get("created_at") or d["at"])
    return CountedFact(f"created#{d['session_id']}", cell(day_of(at), dimensions_of(session, d), {"opened": 1}),
                       open_delta=1)


def _reopened(d: dict[str, Any], session: Session, event_id: str) -> CountedFact | None:
    return CountedFact(f"reopened#{d['session_id']}#{event_id}",
                       cell(day_of(d["at"]), dimensions_of(session, d), {"reopened": 1}), open_delta=1)


def _resolved(d: dict[str, Any], session: Session, event_id: str) -> CountedFact | None:
    resolved_at = str(d.get("resolved_at") or d["at"])
    opened_at = d.get("opened_at") or session.get("reopened_at") or session.get("created_at")
    durations = {"resolution_ms": ms_between(str(opened_at), resolved_at)} if opened_at else {}
    return CountedFact(f"resolved#{d['session_id']}#{d.get('resolved_at') or event_id}",
                       cell(day_of(resolved_at), dimensions_of(session, d), {"resolved": 1}, durations),
                       open_delta=-1)


def _received(d: dict[str, Any], session: Session, event_id: str) -> CountedFact | None:
    if d.get("suppressed") or not d.get("session_id"):
        return None  # a blocked contact's message reaches no inbox, and no report
    return CountedFact(f"in#{d['message_id']}",
                       cell(day_of(d["at"]), dimensions_of(session, d), {"messages_in": 1}))


def _sent(d: dict[str, Any], session: Session, event_id: str) -> CountedFact | None:
    if not d.get("session_id"):
        return None  # a campaign's message belongs to no session
    at = str(d.get("sent_status_at") or d["at"])  # the moment the sent status was recorded
    by_operator = bool(d.get("operator_id")) and d["operator_id"] not in AUTOMATED_SENDERS
    # an operator's message counts for that operator; an automated one for the session's
    dims = dimensions_of(session, d if by_operator else {k: v for k, v in d.items() if k != "operator_id"})
    durations: dict[str, int] = {}
    first_of = None
    if by_operator and not session.get("first_response_at") and not session.get("started_by") \
            and session.get("created_at"):
        durations["first_response_ms"] = ms_between(str(session["created_at"]), at)
        first_of = str(d["session_id"])
    return CountedFact(f"out#{d['message_id']}", cell(day_of(at), dims, {"messages_out": 1}, durations),
                       first_response_of=first_of, first_response_at=at if first_of else None)


def without_first_response(fact: CountedFact) -> CountedFact:
    """The same fact once another event counted the session's first response."""
    change = fact.change
    return CountedFact(fact.marker, CellChange(change.day, change.operator, change.group, change.channel,
                                               change.counters, {}), fact.open_delta)


def _sla(outcome: str) -> Callable[[dict[str, Any], Session, str], CountedFact | None]:
    def plan(d: dict[str, Any], session: Session, event_id: str) -> CountedFact | None:
        at = str(d.get(f"{outcome}_at") or d["at"])
        return CountedFact(f"sla#{d['session_id']}#{d.get('target')}#{at}",
                           cell(day_of(at), dimensions_of(session, d), {f"sla_{outcome}": 1}))
    return plan


def _csat(d: dict[str, Any], session: Session, event_id: str) -> CountedFact | None:
    """A first answer counts once; a second one moves the sum in the first's bucket (kept on the session)."""
    bucket = d["bucket"]
    dims = {dimension: str(bucket.get(dimension) or NONE) for dimension in DIMENSIONS}
    previous = d.get("previous_rating")
    counters = {"csat_sum": int(d["rating"]) - int(previous or 0), "csat_count": 0 if previous else 1}
    return CountedFact(f"csat#{d['session_id']}#{d['answer_id']}", cell(str(bucket["day"]), dims, counters))


PLANS: dict[str, Callable[[dict[str, Any], Session, str], CountedFact | None]] = {
    "session.created": _created,
    "session.reopened": _reopened,
    "session.resolved": _resolved,
    "message.received": _received,
    "message.sent": _sent,
    "session.sla_met": _sla("met"),
    "session.sla_breached": _sla("breached"),
    "session.csat_received": _csat,
}


def plan(detail_type: str, detail: dict[str, Any], session: Session | None, event_id: str) -> CountedFact | None:
    """The fact an event adds, or None (not counted: unknown type, no session)."""
    entry = PLANS.get(detail_type)
    if entry is None or (session is None and detail_type != "session.csat_received"):
        return None
    return entry(detail, session or {}, event_id)
