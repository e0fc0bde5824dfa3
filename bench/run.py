"""`python -m bench`: run every benchmark, write bench/results/latest.json and docs/performance.md, print
the table. Each part fails alone: its keys are then null with the reason, and the rest still runs."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import cost, prices
from bench.report import Row, markdown, text_table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
_START_ENVIRONMENT = dict(os.environ)
DOC = ROOT / "docs" / "performance.md"


def say(line: str) -> None:
    print(line, file=sys.__stdout__, flush=True)


def machine() -> dict[str, Any]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        memory_kb = 0
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024**2),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "load_before": round(os.getloadavg()[0], 1)}


def commit() -> str | None:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    return done.stdout.strip() or None


def attempt(name: str, errors: dict[str, str], work: Callable[[], Any]) -> Any:
    say(f"bench: {name} ...")
    start = time.perf_counter()
    try:
        result = work()
    except Exception as exc:  # noqa: BLE001 - one broken part must not hide the others' figures
        errors[name] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.__stderr__)
        say(f"bench: {name} failed: {errors[name]}")
        return None
    say(f"bench: {name} done in {time.perf_counter() - start:.0f} s")
    return result


_CHILD = """
import json, sys
sys.path[:0] = [{root!r}, {shared!r}]
import {module} as m
result = {call}
sys.__stdout__.write("\\nBENCH-RESULT " + json.dumps(result, default=str) + "\\n")
"""


def background(module: str, call: str) -> subprocess.Popen[str]:
    """Start a benchmark (bench/contact_search.py, bench/campaign_rate.py) in its own interpreter, with this
    process's environment as it was at start."""
    say(f"bench: {module} started in the background")
    code = _CHILD.format(root=str(ROOT), shared=str(ROOT / "shared"), module=module, call=call)
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=_START_ENVIRONMENT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def collect(child: subprocess.Popen[str], timeout: float) -> Any:
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise RuntimeError(f"did not finish within {timeout:.0f} s") from None
    for line in reversed(out.splitlines()):
        if line.startswith("BENCH-RESULT "):
            return json.loads(line[len("BENCH-RESULT "):])
    raise RuntimeError(f"exited {child.returncode}: {(err.strip().splitlines() or ['no output'])[-1]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run, not for the record)")
    parser.add_argument("--no-write", action="store_true", help="print only; keep latest.json and the doc")
    parser.add_argument("--part", choices=["realtime", "cost", "conversation_search", "reports"],
                        help="run this part alone (prints it; writes nothing)")
    args = parser.parse_args(argv)
    if args.part == "realtime":
        return realtime_alone(quick=args.quick)
    if args.part == "cost":
        return cost_alone(quick=args.quick)
    if args.part == "conversation_search":
        return conversation_search_alone()
    if args.part == "reports":
        return reports_alone(quick=args.quick)
    quick = args.quick
    started = time.perf_counter()
    results: dict[str, Any] = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                               "commit": commit(), "quick": quick}
    errors: dict[str, str] = {}
    details: dict[str, Any] = {}

    from bench import coldstart, environment, first_request, peer, resolution, routing, sends, webhook

    # The campaign runs first and alone (in its own interpreter, with the local runtime's AWS in another):
    # its rate is wall-clock work on both cores, which a neighbouring benchmark would take from it. It
    # waits up to 600 s after the start for every recipient's final state (the receipts come after the
    # sends: 20,000 status webhooks for 10,000 recipients).
    campaign = background("bench.campaign_rate",
                          f"m.measure({2_000 if quick else 10_000}, 80, timeout_s={240 if quick else 600})")
    details["campaigns"] = attempt("campaign rate", errors, lambda: collect(campaign, 900))
    details["cold_start"] = attempt("cold start", errors, lambda: coldstart.measure(runs=3 if quick else 5))
    details["peer"] = attempt("parsing vs pywa", errors, lambda: peer.measure(rounds=30 if quick else 200))
    # contact search only counts reads: it seeds its own moto beside the timed parts, in a subprocess
    search = background("bench.contact_search", "{'1000': m.measure(1_000), '50000': m.measure(50_000)}")
    details["realtime"] = attempt("webhook -> WebSocket frame", errors,
                                  lambda: realtime_latency(100 if quick else 500))
    env = environment.start()
    try:
        details["webhook_1"] = attempt("webhook_receipt, 1 update", errors,
                                       lambda: webhook.measure(env, 1, 60 if quick else 250))
        details["webhook_100"] = attempt("webhook_receipt, 100 updates", errors,
                                         lambda: webhook.measure(env, 100, 8 if quick else 20, warmup=3))
        details["contact_resolution"] = attempt("contact_resolution", errors,
                                                lambda: resolution.measure(env, 10 if quick else 20))
        details["sends"] = attempt("message_send", errors, lambda: sends.measure(env, 10 if quick else 20))
        details["routing"] = attempt("session routing", errors, lambda: routing.measure(env))
        details["first_request"] = attempt("first request", errors,
                                           lambda: first_request.measure(env, runs=3 if quick else 5))
    finally:
        env.stop()
    details["contact_search"] = attempt("contact search (finishing)", errors, lambda: collect(search, 300))
    # conversation search counts reads and write units too, after the timed parts (its seed takes a core)
    details["conversation_search"] = attempt("conversation search", errors, conversation_search)

    results["machine"]["load_after"] = round(os.getloadavg()[0], 1)
    results["seconds"] = time.perf_counter() - started
    keys, rows, notes = summarize(details, errors)
    results.update({"keys": keys, "targets": [
        {"key": r.key, "value": r.value, "target": r.target, "verdict": r.verdict, "why": r.why} for r in rows],
        "errors": errors, "details": details, "notes": notes})
    say("")
    say(text_table(rows))
    for note in notes:
        say(f"- {note}")
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
        DOC.write_text(markdown(rows, results, notes, extra_tables(details)))
        say(f"\nwritten: {RESULTS.relative_to(ROOT)}, {DOC.relative_to(ROOT)} ({results['seconds']:.0f} s)")
    return 0


def conversation_search() -> dict[str, Any]:
    """Reads per search page at 200 and 20,000 messages, and the index's cost per message
    (bench/conversation_search.py), in its own interpreter."""
    return collect(background("bench.conversation_search", "m.run()"), 300)


def conversation_search_alone() -> int:
    """`python -m bench --part conversation_search`: that part alone, printed (docs/search.md records it)."""
    errors: dict[str, str] = {}
    result = attempt("conversation search", errors, conversation_search)
    _, rows, _ = summarize({"conversation_search": result}, errors)
    say(text_table([r for r in rows if r.key.startswith("conversation_")]))
    say(json.dumps(result, indent=2))
    return 0 if result else 1


def reports_alone(quick: bool) -> int:
    """`python -m bench --part reports`: the reports' write units per event and what a summary of 30 days
    reads (bench/report_reads.py; docs/reports.md records it), in its own interpreter."""
    errors: dict[str, str] = {}
    call = "m.measure(days=3)" if quick else "m.measure(days=30, operators=10, groups=3, channels=2)"
    result = attempt("reports", errors, lambda: collect(background("bench.report_reads", call), 900))
    say(json.dumps(result, indent=2))
    return 0 if result else 1


def realtime_latency(messages: int) -> dict[str, Any]:
    """Webhook POST -> WebSocket frame over the local runtime (bench/realtime.py), in its own interpreter."""
    child = background("bench.realtime", f"m.measure({messages})")
    if child is None:
        raise RuntimeError("bench/realtime.py is missing")
    return collect(child, 900)


def realtime_alone(quick: bool) -> int:
    """`python -m bench --part realtime`: the realtime part alone, printed (docs/realtime.md records it)."""
    errors: dict[str, str] = {}
    result = attempt("webhook -> WebSocket frame", errors, lambda: realtime_latency(100 if quick else 500))
    _, rows, _ = summarize({"realtime": result}, errors)
    say(text_table([r for r in rows if r.key.startswith("realtime_")]))
    say(json.dumps(result, indent=2))
    return 0 if result else 1


def cost_alone(quick: bool) -> int:
    """`python -m bench --part cost`: what the cost figures need (the 1-update webhook and
    contact_resolution), the cost rows and each breakdown printed (bench/cost.py, docs/cold-start-and-cost.md)."""
    from bench import environment, resolution, webhook

    errors: dict[str, str] = {}
    details: dict[str, Any] = {}
    env = environment.start()
    try:
        details["webhook_1"] = attempt("webhook_receipt, 1 update", errors,
                                       lambda: webhook.measure(env, 1, 60 if quick else 250))
        details["contact_resolution"] = attempt("contact_resolution", errors,
                                                lambda: resolution.measure(env, 10 if quick else 20))
    finally:
        env.stop()
    keys, rows, _ = summarize(details, errors)
    say(text_table([r for r in rows if r.key.startswith(("usd_", "ddb_"))]))
    for title, header, lines in extra_tables(details):
        if title.startswith("Cost"):
            say(f"\n{title}\n" + "\n".join(" | ".join(str(c) for c in line) for line in [header] + lines))
    say(json.dumps({"keys": {k: v for k, v in keys.items() if k.startswith(("usd_", "ddb_"))},
                    "items": _get(details, "contact_resolution", "known_contact", "items"),
                    "bus_consumers": _get(details, "contact_resolution", "known_contact", "bus_consumers")},
                   indent=1))
    return 0 if not errors else 1


def _get(data: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def summarize(d: dict[str, Any], errors: dict[str, str]) -> tuple[dict[str, Any], list[Row], list[str]]:
    from infra.declaration import function

    keys: dict[str, Any] = {}
    rows: list[Row] = []
    notes: list[str] = []

    def missing(*parts: str) -> str:
        return "; ".join(f"{p}: {errors[p]}" for p in parts if p in errors) or "not measured"

    # webhook receipt
    w1, w100 = d.get("webhook_1") or {}, d.get("webhook_100") or {}
    r1, r100 = w1.get("overhead_ratio_p50"), w100.get("overhead_ratio_p50")
    keys["webhook_overhead_ratio_p50"] = max((r for r in (r1, r100) if r is not None), default=None)
    keys["webhook_overhead_ratio_p50_1"] = r1
    keys["webhook_overhead_ratio_p50_100"] = r100
    keys["webhook_overhead_ratio_p99_1"] = w1.get("overhead_ratio_p99")
    keys["webhook_overhead_ratio_p99_100"] = w100.get("overhead_ratio_p99")
    for label, w, r in (("1", w1, r1), ("100", w100, r100)):
        rows.append(Row(f"webhook_overhead_ratio_p50_{label}",
                        f"webhook_receipt in-handler time, {label}-update body, over the bare SendMessageBatch calls",
                        r, "<= 1.3",
                        (f"CPU p50 {w['handler_cpu_ms_p50']} ms vs {w['bare_sqs_cpu_ms_p50']} ms (p99 ratio "
                         f"{w['overhead_ratio_p99']}); wall p50 {w['handler_ms_p50']} vs {w['bare_sqs_ms_p50']} ms, "
                         f"p99 {w['handler_ms_p99']} vs {w['bare_sqs_ms_p99']} ms (ratio {w['wall_overhead_ratio_p50']}"
                         f" / {w['wall_overhead_ratio_p99']}); {w['sqs_calls_per_webhook']:g} SQS calls"
                         if w else ""),
                        "" if w else missing(f"webhook_receipt, {label} update" + ("s" if label == "100" else ""))))

    # contact resolution
    cr = d.get("contact_resolution") or {}
    for kind, key, bound in (("known_contact", "ddb_requests_per_message_known", 2),
                             ("new_contact", "ddb_requests_per_message_new", 4),
                             ("status", "ddb_requests_per_status", 2),
                             ("status_last", "ddb_requests_per_status_last", 3)):
        figures = cr.get(kind) or {}
        keys[key] = figures.get("ddb_requests")
        keys[key.replace("ddb_requests", "ddb_rru")] = figures.get("read_units")
        keys[key.replace("ddb_requests", "ddb_wru")] = figures.get("write_units")
        ops = ", ".join(f"{v:g} {k}" for k, v in (figures.get("ddb_operations") or {}).items())
        rows.append(Row(key, f"DynamoDB round trips per {kind.replace('_', ' ')} event", figures.get("ddb_requests"),
                        f"<= {bound}", f"{ops}; {figures.get('read_units')} RRU, {figures.get('write_units')} WRU"
                        if figures else "", "" if figures else missing("contact_resolution")))

    # session routing (docs/team.md): round trips to route one new session, per group mode
    rt = d.get("routing") or {}
    for mode, bound, outcome in (("round_robin", 5, "assigned"), ("least_busy", 5, "assigned"),
                                 ("offer", 3, "queued"), ("round_robin_queued", 6, "queued")):
        figures = rt.get(mode) or {}
        key = f"routing_ddb_requests_{mode}"
        keys[key] = figures.get("ddb_requests")
        ops = ", ".join(f"{v:g} {k}" for k, v in (figures.get("ddb_operations") or {}).items())
        rows.append(Row(key, f"DynamoDB round trips to route one new session, {mode.replace('_queued', '')} "
                        f"group ({'nobody online: it waits' if mode.endswith('queued') else outcome})",
                        figures.get("ddb_requests"), f"<= {bound}",
                        f"{ops}; {figures.get('read_units')} RRU, {figures.get('write_units')} WRU; "
                        f"{figures.get(outcome)} of {rt.get('sessions_per_mode')} {outcome}" if figures else "",
                        "" if figures else missing("session routing")))

    # cold start
    cs = d.get("cold_start") or {}
    keys["import_ratio_max"] = cs.get("import_ratio_max")
    keys["import_ms_boto3"] = cs.get("boto3_import_ms_median")
    for name, h in (cs.get("handlers") or {}).items():
        keys[f"import_ratio_{name}"] = h.get("ratio")
    rows.append(Row("import_ratio_max", "slowest handler import over `import boto3` (fresh interpreter, "
                    "CPU time, median)", cs.get("import_ratio_max"), "<= 1.5",
                    (f"{cs['slowest']} {cs['handlers'][cs['slowest']]['import_ms_median']} ms vs boto3 "
                     f"{cs['boto3_import_ms_median']} ms of CPU (wall ratio "
                     f"{cs['handlers'][cs['slowest']].get('wall_ratio')}); beyond boto3 (wall self time): "
                     + ", ".join(f"{p['package']} {p['self_ms']} ms" for p in cs["slowest_beyond_boto3"][:5])
                     if cs else ""), "" if cs else missing("cold start")))

    # the first request of a fresh instance
    fr = d.get("first_request") or {}
    keys["first_request_ratio_max"] = fr.get("first_request_ratio_max")
    for name, f in (fr.get("functions") or {}).items():
        keys[f"first_request_ratio_{name}"] = f.get("ratio")
    slow = (fr.get("functions") or {}).get(fr.get("slowest") or "") or {}
    rows.append(Row("first_request_ratio_max", "slowest first request of a fresh interpreter (import + its most "
                    "common event) over `import boto3` + one GetItem (CPU time, median)",
                    fr.get("first_request_ratio_max"), "<= 2.0",
                    (f"{fr['slowest']} ({slow['event']}) {slow['cpu_ms_median']} ms vs "
                     f"{fr['reference_cpu_ms_median']} ms of CPU (wall ratio {slow['wall_ratio']}); "
                     + ", ".join(f"{n} {f['ratio']}" for n, f in fr["functions"].items()) if fr else ""),
                    "" if fr else missing("first request")))

    # contact search
    cs_search = d.get("contact_search")
    small, large = _get(cs_search, "1000", "reads_per_page"), _get(cs_search, "50000", "reads_per_page")
    keys["search_reads_ratio_50k_1k"] = round(large / small, 2) if small and large is not None else None
    rows.append(Row("search_reads_ratio_50k_1k", "DynamoDB reads per search page at 50,000 over 1,000 contacts",
                    keys["search_reads_ratio_50k_1k"], "<= 1.1",
                    f"{small} reads/page at 1k, {large} at 50k" if cs_search else "",
                    "" if cs_search else missing("contact search")))

    # conversation search (bench/conversation_search.py)
    conv = d.get("conversation_search")
    small, large = _get(conv, "200", "reads_per_page"), _get(conv, "20000", "reads_per_page")
    keys["conversation_search_reads_ratio_20k_200"] = round(large / small, 2) if small and large is not None else None
    rows.append(Row("conversation_search_reads_ratio_20k_200",
                    "DynamoDB reads per conversation search page at 20,000 over 200 messages",
                    keys["conversation_search_reads_ratio_20k_200"], "<= 1.0",
                    f"{small} read units/page (limit {_get(conv, '200', 'limit')}) at 200 messages in 20 sessions, "
                    f"{large} at 20,000 in 2,000" if conv else "", "" if conv else missing("conversation search")))
    write = _get(conv, "write") or {}
    keys["conversation_index_wru_per_message"] = write.get("wru_per_message")
    keys["conversation_index_usd_per_million"] = write.get("usd_per_million_messages")
    rows.append(Row("conversation_index_usd_per_million", "indexing one message for search (conversation_index: "
                    "DynamoDB + Lambda), $ per million messages", write.get("usd_per_million_messages"), "",
                    f"{write.get('wru_per_message')} WRU + {write.get('rru_per_message')} RRU per message "
                    f"(${write.get('dynamodb_usd_per_million')}/M DynamoDB, ${write.get('lambda_usd_per_million')}"
                    f"/M Lambda), {write.get('per_session')} messages per session" if write else "",
                    "" if write else missing("conversation search")))

    # realtime: webhook POST -> WebSocket frame (bench/realtime.py)
    rt = d.get("realtime") or {}
    keys["realtime_frame_ms_p50"], keys["realtime_frame_ms_p99"] = rt.get("p50_ms"), rt.get("p99_ms")
    keys["realtime_frames_in_order"] = rt.get("frames_in_order_of_get_events")
    rows.append(Row("realtime_frame_ms_p50", "webhook POST -> operator's WebSocket frame, p50 (ms, local runtime)",
                    rt.get("p50_ms"), "", f"p99 {rt.get('p99_ms')} ms, max {rt.get('max_ms')} ms over "
                    f"{rt.get('messages')} messages; frames in the order of GET /events: "
                    f"{rt.get('frames_in_order_of_get_events')}" if rt else "",
                    "" if rt else missing("webhook -> WebSocket frame")))
    rows.append(Row("realtime_frame_ms_p99", "webhook POST -> operator's WebSocket frame, p99 (ms, local runtime)",
                    rt.get("p99_ms"), "", "", "" if rt else missing("webhook -> WebSocket frame")))

    # campaigns
    camp = d.get("campaigns") or {}
    achieved, limit = camp.get("achieved_rate"), camp.get("limit")
    keys["campaign_rate_ratio"] = round(achieved / limit, 3) if achieved is not None and limit else None
    throttled = camp.get("throttled")
    rows.append(Row("campaign_rate_ratio", "campaign send rate over the configured limit (Graph simulator)",
                    keys["campaign_rate_ratio"], ">= 0.9",
                    f"{achieved} of {limit} msg/s, throttling errors {throttled}, duplicates "
                    f"{camp.get('duplicates')}" if camp else "",
                    ("throttling errors: " + str(throttled)) if throttled else ("" if camp else missing("campaigns"))))
    clean = None
    if camp:
        clean = 1.0 if camp.get("all_final") and not camp.get("duplicates") and not throttled else 0.0
    keys["campaign_all_final_once_unthrottled"] = clean
    rows.append(Row("campaign_all_final_once_unthrottled",
                    "1 when every recipient ended in a final state, none was sent twice, none was throttled",
                    clean, ">= 1",
                    f"final states {camp.get('final_states')} after {camp.get('seconds')} s; duplicates "
                    f"{camp.get('duplicates')}, throttled {throttled}" if camp else "",
                    "" if camp else missing("campaigns")))

    # parsing vs pywa
    pw = d.get("peer") or {}
    keys["parse_ratio_vs_pywa"] = pw.get("parse_ratio_vs_pywa")
    rows.append(Row("parse_ratio_vs_pywa", "our signature check + parse + split per update over pywa's",
                    pw.get("parse_ratio_vs_pywa"), "< 1",
                    f"ours {pw['ours_us_per_update']} µs, pywa {pw['pywa_version']} {pw['pywa_us_per_update']} µs "
                    f"per update, {pw['timed_payloads']} payloads" if pw.get("parse_ratio_vs_pywa") else "",
                    pw.get("skipped") or ("" if pw else missing("parsing vs pywa"))))

    # cost
    memory = {name: function(name).memory_mb for name in ("webhook_receipt", "contact_resolution", "message_send")}
    inbound = status = None
    if w1 and cr:
        inbound = cost.inbound_event_usd(w1, cr["timing"]["known_contact"], cr["known_contact"], memory)
        inbound_moto = cost.inbound_event_usd(w1, cr["timing"]["known_contact"], cr["known_contact"], memory,
                                              modelled=False)
        new = cost.inbound_event_usd(w1, cr["timing"]["new_contact"], cr["new_contact"], memory)
        status = cost.inbound_event_usd(w1, cr["timing"]["status"], cr["status"], memory)
        hot = cost.inbound_event_usd(w1, cr["timing"]["known_contact"],
                                     {**cr["known_contact"], "bus_consumers": {}}, memory)
        # issue 16's figure: the message from the webhook to the store and onto the bus
        keys["usd_per_million_inbound"] = round(sum(hot.values()) * 1e6, 2)
        # and with what the bus's consumers (realtime, search, reports, SLAs, CSAT, campaigns) run for it
        keys["usd_per_million_inbound_with_consumers"] = round(sum(inbound.values()) * 1e6, 2)
        keys["usd_per_million_inbound_new_contact"] = round(sum(new.values()) * 1e6, 2)
        keys["usd_per_million_inbound_moto_durations"] = round(sum(inbound_moto.values()) * 1e6, 2)
        keys["usd_per_million_statuses"] = round(sum(status.values()) * 1e6, 2)
        d["cost_inbound_breakdown_per_million"] = cost.per_million(inbound)
        d["cost_new_contact_breakdown_per_million"] = cost.per_million(new)
        d["cost_status_breakdown_per_million"] = cost.per_million(status)
    else:
        keys["usd_per_million_inbound"] = keys["usd_per_million_inbound_with_consumers"] = None
    top = consumers_top = ""
    if inbound:
        ranked = sorted(cost.per_million(hot).items(), key=lambda kv: kv[1], reverse=True)[:3]
        top = "largest: " + ", ".join(f"{k} ${v}" for k, v in ranked)
        extra = {k: v for k, v in cost.per_million(inbound).items() if k not in hot}
        ranked = sorted(extra.items(), key=lambda kv: kv[1], reverse=True)[:3]
        consumers_top = "largest: " + ", ".join(f"{k} ${v}" for k, v in ranked)
    absent = missing("contact_resolution", "webhook_receipt, 1 update")
    rows.append(Row("usd_per_million_inbound", "USD per million inbound messages, known contact, webhook to store "
                    "and bus (AWS list prices)", keys["usd_per_million_inbound"], "< 12",
                    f"{top}; a new contact's first message ${keys.get('usd_per_million_inbound_new_contact')}/M"
                    if inbound else "", "" if inbound else absent))
    rows.append(Row("usd_per_million_inbound_with_consumers", "the same with what the bus's consumers run for it "
                    "(realtime push to 2 operators, search index, reports, SLAs, CSAT, campaigns)",
                    keys["usd_per_million_inbound_with_consumers"], "", consumers_top, "" if inbound else absent))

    send_input = _get(d, "sends", "cost_input")
    estimated = send_input is None
    if send_input is None:
        send_input = estimated_send()
    if status is not None:
        send = cost.send_usd(send_input, sum(status.values()), memory)
        keys["usd_per_million_sends"] = round(sum(send.values()) * 1e6, 2)
        keys["usd_per_million_sends_estimated"] = estimated
        d["cost_send_breakdown_per_million"] = cost.per_million(send)
        ranked = sorted(cost.per_million(send).items(), key=lambda kv: kv[1], reverse=True)[:3]
        detail = ("estimated from the declared resources (send path not measured); " if estimated else "") + \
            "largest: " + ", ".join(f"{k} ${v}" for k, v in ranked)
    else:
        keys["usd_per_million_sends"] = None
        detail = ""
    keys["twilio_usd_per_million_messages"] = round(prices.TWILIO_USD_PER_MESSAGE * 1e6, 2)
    rows.append(Row("usd_per_million_sends", "USD per million messages sent, with their 3 status webhooks",
                    keys["usd_per_million_sends"], "", detail + f"; Twilio's fee alone: "
                    f"${keys['twilio_usd_per_million_messages']:,.0f}/M", "" if status else missing("message_send")))
    keys["ddb_requests_per_send"] = _get(d, "sends", "ddb_requests_per_send")

    notes.extend(explain(d, keys, rows, errors))
    return keys, rows, notes


def extra_tables(d: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    tables: list[tuple[str, list[str], list[list[Any]]]] = []
    cs = d.get("cold_start") or {}
    if cs.get("handlers"):
        lines = [["boto3 (reference)", cs["boto3_import_ms_median"], 1.0, cs["boto3_wall_ms_median"], 1.0]]
        lines += [[name, h.get("import_ms_median"), h.get("ratio"), h.get("wall_ms_median"), h.get("wall_ratio")]
                  for name, h in cs["handlers"].items()]
        tables.append(("Cold start by function (median of %d fresh interpreters)" % cs["runs"],
                       ["module", "CPU ms", "ratio", "wall ms", "wall ratio"], lines))
    fr = d.get("first_request") or {}
    if fr.get("functions"):
        lines = [["`import boto3` + one GetItem (reference)", "", fr["reference_cpu_ms_median"], 1.0,
                  fr["reference_wall_ms_median"], 1.0]]
        lines += [[name, f["event"], f["cpu_ms_median"], f["ratio"], f["wall_ms_median"], f["wall_ratio"]]
                  for name, f in fr["functions"].items()]
        tables.append(("First request by function (median of %d fresh interpreters)" % fr["runs"],
                       ["function", "event", "CPU ms", "ratio", "wall ms", "wall ratio"], lines))
    columns = [("inbound, known contact", d.get("cost_inbound_breakdown_per_million")),
               ("inbound, new contact", d.get("cost_new_contact_breakdown_per_million")),
               ("status webhook", d.get("cost_status_breakdown_per_million")),
               ("send (with 3 statuses)", d.get("cost_send_breakdown_per_million"))]
    columns = [(title, data) for title, data in columns if data]
    if columns:
        items = list(dict.fromkeys(item for _, data in columns for item in data))
        own = [item for item in items if item in cost.INBOUND_OWN_ITEMS]  # the webhook to the store and bus
        lines = [[item] + [data.get(item, "") for _, data in columns] for item in own]
        lines.append(["*webhook to store and bus*"] + [
            f"*{sum(v for k, v in data.items() if k in cost.INBOUND_OWN_ITEMS):.2f}*" if title.startswith("inbound")
            or title.startswith("status") else "" for title, data in columns])
        lines += [[item] + [data.get(item, "") for _, data in columns] for item in items if item not in own]
        lines.append(["**total**"] + [f"**{sum(data.values()):.2f}**" for _, data in columns])
        tables.append(("Cost breakdown, USD per million", ["line item"] + [t for t, _ in columns], lines))
    return tables


def estimated_send() -> dict[str, Any]:
    """The send path's figures from the declared resources, when it could not be measured: the API reads
    the session and pointer and writes message, session and idempotency key in one transaction, then
    queues; the worker loads, claims, calls Graph, records the result and publishes."""
    return {
        "api_own_ms": 10.0, "api_calls": {"dynamodb:GetItem": 2, "dynamodb:TransactWriteItems": 1,
                                          "sqs:SendMessageBatch": 1},
        "worker_own_ms": 10.0, "worker_calls": {"dynamodb:GetItem": 1, "dynamodb:UpdateItem": 2,
                                                "dynamodb:TransactWriteItems": 1, "eventbridge:PutEvents": 1},
        "api_ms": 60.0, "worker_ms": 360.0, "read_units": 2.0, "write_units": 16.0,
        "eventbridge_entries": 1.0, "log_bytes": 500, "estimated": True,
    }


def explain(d: dict[str, Any], keys: dict[str, Any], rows: list[Row], errors: dict[str, str]) -> list[str]:
    """The closing note: why each figure is what it is."""
    notes = []
    w1, w100 = d.get("webhook_1") or {}, d.get("webhook_100") or {}
    if w1:
        notes.append(
            f"Webhook receipt: the handler's own CPU time (route, signature, pydantic parse and split, JSON "
            f"for each event, and boto3's client work) is {w1['own_ms_p50']} ms at p50 for one update"
            + (f" and {w100['own_ms_p50']} ms for a hundred" if w100 else "")
            + " of CPU; the rest is the SendMessageBatch calls it shares with the reference. The ratio is on "
            "CPU time (this process holds moto's server, so both sides include its work): the machine is "
            "shared, and wall-clock ratios swung between 1.0 and 1.5 from one run to the next with the "
            "neighbours' load; wall figures are in the table beside them. A 100-update body is "
            "ten batches of ten sent on eight threads, as the reference sends them. moto's SQS recounted "
            "its queue several times on every send; infra/local/moto_speedups.py counts once per request, "
            "in one pass, for both sides.")
    cr = d.get("contact_resolution") or {}
    if cr:
        known, new, status = cr["known_contact"], cr["new_contact"], cr["status"]
        notes.append(
            f"contact_resolution: a known sender costs {known['ddb_requests']:g} round trips (one BatchGetItem "
            f"for the thread pointer and identifiers, one TransactWriteItems), {known['read_units']} RRU and "
            f"{known['write_units']} WRU; a new sender {new['ddb_requests']:g} round trips but "
            f"{new['write_units']} WRU, because the transaction also writes the contact's search-index "
            f"entries (one item per name and number prefix); a status {status['ddb_requests']:g} (GetItem of "
            f"the provider-id alias, conditional UpdateItem). Request units are computed from item sizes by "
            f"DynamoDB's rules (bench/meter.py), since moto's ConsumedCapacity figures are placeholders.")
    cs = d.get("cold_start") or {}
    if cs:
        beyond = ", ".join(f"{p['package']} {p['self_ms']} ms" for p in cs["slowest_beyond_boto3"][:6])
        notes.append(
            f"Cold start: boto3 alone imports in {cs['boto3_import_ms_median']} ms here; the slowest handler "
            f"({cs['slowest']}) spends, beyond what boto3 imports: {beyond} (self time, `python -X "
            f"importtime`). A handler module imports its wiring only (Powertools' Logger and Metrics, "
            f"switchboard.snapstart, the lazy resolver): the resolver, pydantic, boto3 and the function's "
            f"work are imported by its first event, each router by the first request routed to it "
            f"(switchboard/api/lazy.py), so the import figure shows what every instance pays before any "
            f"event, and `first_request_ratio_max` what the first caller waits for. With SnapStart "
            f"(declared per function) everything is imported before the snapshot instead. No X-Ray SDK: "
            f"Lambda's active tracing and the log lines' trace id. The ratio is measured with the layer's "
            f"packages only (build/bench-layer).")
    fr = d.get("first_request") or {}
    if fr.get("functions"):
        notes.append(
            f"First request: a fresh interpreter imports the handler and serves one event against the "
            f"benchmarks' moto server (its work is not counted): "
            + "; ".join(f"{n}, {f['event']}: {f['cpu_ms_median']} ms" for n, f in fr["functions"].items())
            + f"; the reference imports boto3, makes a DynamoDB client and reads one item in "
            f"{fr['reference_cpu_ms_median']} ms. What the handlers add is Powertools' Event Handler (and its "
            f"validation), pydantic and the models of the route, and a client per AWS service the event "
            f"touches (the webhook: DynamoDB for the channel, Secrets Manager for its app secret, SQS; the "
            f"queue record: DynamoDB and EventBridge); DynamoDB goes through a client with boto3's document "
            f"transforms instead of a Table resource (25 ms less).")
    pw = d.get("peer") or {}
    if pw.get("parse_ratio_vs_pywa"):
        notes.append(
            f"Parsing: pydantic validates only what routing needs and keeps each message as Meta sent it, "
            f"while pywa builds a typed object tree per update; {pw['timed_payloads']} payloads of pywa's own "
            f"corpus, {pw['rounds']} rounds alternating.")
    if pw.get("parse_ratio_vs_pywa") and pw["parse_ratio_vs_pywa"] >= 1:
        notes.append(
            "Parsing target not met in this run: our path validates the whole envelope with pydantic and "
            "turns every update into a queue event (a model and its JSON), where pywa reads the first "
            "update of a body into its types; earlier runs on a quieter machine measured 0.57-0.92.")
    camp = d.get("campaigns") or {}
    if camp:
        notes.append(
            f"Campaigns (bench/campaign_rate.py, run first and alone, the local runtime in its interpreter and "
            f"its AWS in another): {camp.get('sent')} of {camp.get('recipients')} recipients sent at "
            f"{camp.get('achieved_rate')} msg/s against a limit of {camp.get('limit')} (campaign_dispatch "
            f"queued at {camp.get('dispatch_rate')} msg/s), {camp.get('throttled')} throttling errors "
            f"(130429), {camp.get('duplicates')} duplicates; every recipient final: {camp.get('all_final')} "
            f"({camp.get('final_states')}, {camp.get('seconds')} s after the start, receipts included).")
    if keys.get("usd_per_million_inbound") is not None:
        consumers = _get(d, "contact_resolution", "known_contact", "bus_consumers") or {}
        notes.append(
            f"Cost: us-east-1 list prices (bench/prices.py, with sources). Lambda durations are each "
            f"function's own measured time plus AWS's typical latency per call it makes (moto's are not "
            f"AWS's); with the durations as measured on moto the inbound figure would be "
            f"${keys['usd_per_million_inbound_moto_durations']}/M. One message per webhook and per "
            f"contact_resolution invocation (the costly case), one X-Ray trace per message at 5% sampling (the "
            f"trace header follows it through SQS and EventBridge), {cost.platform_log_bytes()} B of Lambda "
            f"platform logs per invocation (the declared system log level). `usd_per_million_inbound` is issue "
            f"16's figure, the message from the webhook to the store and onto the bus; "
            f"`usd_per_million_inbound_with_consumers` adds what the bus runs for it, measured by invoking each "
            f"function whose rule matches what contact_resolution published ("
            + ", ".join(f"{name} {f['invocations_per_event']:g}x, {f['ddb_requests']:g} DynamoDB requests"
                        for name, f in consumers.items())
            + f"), and the fan-out's WebSocket messages to {prices.CONNECTED_OPERATORS_PER_TENANT} connected "
            f"operators (an assumption, bench/prices.py): "
            f"${keys.get('usd_per_million_inbound_with_consumers')}/M. A status webhook costs "
            f"${keys['usd_per_million_statuses']}/M; every send brings three back. Twilio would charge "
            f"${keys['twilio_usd_per_million_messages']:,.0f} per million messages on top of Meta's fees. API "
            f"Gateway is priced per route by the API the declaration puts it on (`Route.api`: the webhooks' HTTP "
            f"API at $1.00/M, the operators' REST API at $3.50/M). A known sender's message writes the "
            f"provider-id alias, the message, the session and the thread pointer in one transaction (each under "
            f"1 KB), leaves the contact's profile alone (rewritten once an hour; a block, merge or erasure writes "
            f"the contact's thread pointers instead, which the message's pointer update is conditioned on), and moves the session's inbox entry (its sort "
            f"key is the last activity: a delete and a put); the contact's sessions are indexed by their keys "
            f"only (gsi3), so the message does not rewrite that entry. Request units follow DynamoDB's rules "
            f"per item (bench/meter.py; a transaction doubles its items' writes, not the index writes they "
            f"cause). The decisions: cold-start-and-cost.md.")
    notes.append(snapstart_note())
    for name, reason in errors.items():
        notes.append(f"Not measured — {name}: {reason}")
    return notes


def snapstart_note() -> str:
    """What SnapStart costs a month at our traffic (bench/prices.py), per function that declares it."""
    from infra.declaration import FUNCTIONS

    parts, total = [], 0.0
    for spec in FUNCTIONS:
        if spec.snapstart:
            month = cost.snapstart_usd_per_month(spec.memory_mb, prices.MONTHLY_NEW_ENVIRONMENTS_PER_FUNCTION)
            total += sum(month.values())
            parts.append(f"{spec.name} ({spec.memory_mb} MB) ${month['cache']:.2f} cache + "
                         f"${month['restores']:.2f} restores")
    return (f"SnapStart (infra/declaration.py, `Function.snapstart`): ${total:.2f} a month at our traffic "
            f"({prices.MONTHLY_NEW_ENVIRONMENTS_PER_FUNCTION:,} new environments a function, "
            f"{prices.CACHED_VERSIONS_PER_FUNCTION} cached versions; bench/prices.py): " + "; ".join(parts)
            + ". The functions driven by queues, schedules and bus events (the others) keep ordinary cold "
            "starts: nobody waits on their first event.")
