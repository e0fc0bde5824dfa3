"""A peer: our webhook verification and parsing per update against pywa's, on the same payloads.

The payloads are pywa's own test corpus (shared/fixtures/whatsapp/pywa), signed with one app secret.
Ours: X-Hub-Signature-256 check, ``parse_envelope`` and ``split_change`` into queue events, as
webhook_receipt does (without the channel lookup and the queue). Theirs: what ``WhatsApp`` does with a
webhook body, minus calling user callbacks: ``webhook_update_validator`` (signature), ``RawUpdate``
(JSON), ``_get_handler_type`` and the update type's ``from_update`` (its typed objects). Only payloads
both libraries accept are timed, in CPU time (the machine is shared), rounds alternating which goes first."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bench.stats import ratio

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-app-secret"


def fixtures_dir() -> Path:
    return ROOT.parent / "shared" / "fixtures" / "whatsapp" / "pywa"


def load_payloads() -> list[tuple[str, bytes]]:
    payloads = []
    for path in sorted(fixtures_dir().glob("*.json")):
        for case, body in json.loads(path.read_text()).items():
            payloads.append((f"{path.stem}/{case}", json.dumps(body).encode()))
    return payloads


def ours() -> Any:
    from switchboard.whatsapp import signature
    from switchboard.whatsapp.envelope import parse_envelope, split_change

    def handle(raw: bytes, header: str) -> int:
        if not signature.is_valid(raw, header, SECRET):
            raise ValueError("bad signature")
        envelope = parse_envelope(raw)
        return sum(len(split_change(entry, change, "tenant", "channel"))
                   for entry in envelope.entry for change in entry.changes)
    return handle


def theirs() -> Any:
    from pywa import WhatsApp
    from pywa._logging import get_update_hash
    from pywa.types import RawUpdate

    wa = WhatsApp(phone_id="1122334455667", token="bench-token", server=None, verify_token="bench",
                  app_secret=SECRET, validate_updates=True, filter_updates=False)

    def handle(raw: bytes, header: str) -> int:
        if wa.webhook_update_validator(raw, header) is not None:
            raise ValueError("bad signature")
        update = RawUpdate(raw, hmac_header=header, update_hash=get_update_hash(raw))
        handler_type = wa._get_handler_type(update)
        if handler_type is None:
            return 0
        wa._handlers_to_updates[handler_type].from_update(client=wa, update=update)
        return 1
    return handle


def measure(rounds: int = 200) -> dict[str, Any]:
    import importlib.metadata

    from switchboard.whatsapp.signature import sign

    try:
        version = importlib.metadata.version("pywa")
    except importlib.metadata.PackageNotFoundError:
        return {"skipped": "pywa is not installed (make bench installs the [bench] extra)"}
    ours_handle, their_handle = ours(), theirs()
    signed = [(name, raw, sign(raw, SECRET)) for name, raw in load_payloads()]
    accepted, refused = [], []
    for name, raw, header in signed:
        try:
            if their_handle(raw, header) and ours_handle(raw, header):
                accepted.append((raw, header))
            else:
                refused.append(name)
        except Exception as exc:  # noqa: BLE001 - a payload one side cannot read is left out, and said
            refused.append(f"{name}: {type(exc).__name__}")
    def run(handle: Any) -> float:
        start = time.process_time()
        for raw, header in accepted:
            handle(raw, header)
        return time.process_time() - start

    ours_s = theirs_s = 0.0
    for i in range(rounds):  # CPU time of this (single-threaded) work; the order alternates
        if i % 2:
            theirs_s += run(their_handle)
            ours_s += run(ours_handle)
        else:
            ours_s += run(ours_handle)
            theirs_s += run(their_handle)
    updates = rounds * len(accepted)
    return {
        "pywa_version": version, "payloads": len(signed), "timed_payloads": len(accepted),
        "left_out": refused, "rounds": rounds,
        "ours_us_per_update": round(ours_s / updates * 1e6, 1),
        "pywa_us_per_update": round(theirs_s / updates * 1e6, 1),
        "parse_ratio_vs_pywa": ratio(ours_s, theirs_s),
    }
