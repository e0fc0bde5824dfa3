"""Pricing on statuses, counted once per delivered message off the hot path, and GET /reports/costs priced with
the tenant's rate card: the report equals the sum computed here from the statuses posted."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path

import pytest
from switchboard.pricing.rates import DEMO_RATE_CARD
from switchboard.services import services
from switchboard.storage import keys

from infra.declaration import function
from infra.local import event_rules
from tests.support.whatsapp import envelope, signed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
NOVEMBER, DECEMBER = 1764000000, 1764590400  # 2025-11-24, 2025-12-01 (UTC)
KINDS = [  # (category, type, billable)
    ("marketing", "regular", True), ("utility", "regular", True), ("authentication", "regular", True),
    ("utility", "free_customer_service", False), ("service", "free_customer_service", False),
    ("marketing", "free_entry_point", False)]


@pytest.fixture
def rules(aws):
    return event_rules.create_rules(aws.environment["EVENT_BUS_NAME"])


def _outbound(wamid: str, n: int) -> dict:
    key = {"pk": "T#demo#S#COST", "sk": f"M#2025-11-01T00:00:00.000Z#{n:04d}"}
    services().table.put({**key, "message_id": f"M{n:04d}", "tenant_id": "demo", "channel_id": "wa-demo",
                          "direction": "out", "status": "sent", "status_rank": 1, "statuses": {}})
    services().table.put({**keys.provider_id("demo", wamid), "message_pk": key["pk"], "message_sk": key["sk"]})
    return key


def _status(wamid: str, state: str, recipient: str, at: int, kind: tuple[str, str, bool]) -> dict:
    category, pricing_type, billable = kind
    return {"id": wamid, "status": state, "timestamp": str(at), "recipient_id": recipient,
            "pricing": {"billable": billable, "pricing_model": "PMP", "type": pricing_type, "category": category}}


def _post(api, statuses: list[dict]) -> None:
    raw, headers = signed(envelope(statuses=statuses))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200


def _account(rules: dict, process_inbound) -> None:
    process_inbound()
    while event_rules.drain(function("cost_accounting"), rules["cost_accounting"], log=lambda _l: None):
        pass


def _history(seed: int = 20) -> tuple[list[dict], Decimal, dict]:
    """Statuses of 60 messages to Czech and US numbers, in two months, of every pricing kind: some only sent,
    some read without a delivered, every status twice, shuffled. And the cost and counts they should give."""
    rng = random.Random(seed)
    statuses, total, counted = [], Decimal(0), {}
    for n in range(60):
        wamid, kind = f"wamid.COST{n:04d}", KINDS[n % len(KINDS)]
        recipient = f"420777{n:06d}" if n % 2 else f"1650555{n:04d}"
        at = NOVEMBER if n % 3 else DECEMBER
        _outbound(wamid, n)
        states = rng.choice([["sent"], ["sent", "delivered"], ["sent", "delivered", "read"], ["sent", "read"]])
        statuses += [_status(wamid, s, recipient, at + i, kind) for i, s in enumerate(states)] * 2
        if states != ["sent"]:
            month = "2025-11" if at == NOVEMBER else "2025-12"
            line = counted.setdefault((month, kind[0], kind[1]), [0, 0])
            line[0] += 1
            if kind[2]:
                line[1] += 1
                total += DEMO_RATE_CARD.price("CZ" if n % 2 else "US", kind[0])
    rng.shuffle(statuses)
    return statuses, total, counted


def test_the_costs_report_equals_the_sum_of_the_delivered_statuses(api, demo, rules, process_inbound,
                                                                   admin_token) -> None:
    statuses, total, counted = _history()
    for start in range(0, len(statuses), 25):
        _post(api, statuses[start:start + 25])
    _account(rules, process_inbound)

    status, report = api.call("GET", "/reports/costs?from=2025-11&to=2025-12", token=admin_token)
    assert status == 200
    assert Decimal(report["total_cost"]) == total
    lines = {(line["month"], line["category"], line["type"]): [line["messages"], line["billable_messages"]]
             for line in report["lines"]}
    assert lines == counted


def test_redelivered_events_count_nothing_more(api, demo, rules, process_inbound, admin_token) -> None:
    statuses, total, _ = _history(seed=3)
    _post(api, statuses[:40])
    _account(rules, process_inbound)
    _post(api, statuses)  # the same statuses again, and the rest
    _account(rules, process_inbound)
    assert Decimal(api.call("GET", "/reports/costs?from=2025-11&to=2025-12", token=admin_token)[1]["total_cost"]) \
        == total


def test_the_message_keeps_its_pricing(api, demo, process_inbound) -> None:
    body = json.loads((FIXTURES / "status_with_pricing.json").read_text())
    wamid = body["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
    key = _outbound(wamid, 1)
    raw, headers = signed(body)
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()
    assert services().table.get(key)["pricing"] == {"billable": True, "model": "PMP", "type": "regular",
                                                    "category": "marketing"}


def test_an_admin_edits_the_rate_card_and_the_report_follows(api, demo, rules, process_inbound,
                                                             admin_token) -> None:
    card = {"currency": "EUR", "effective_from": "2026-01-01", "source": "our contract",
            "rates": {"*": {"marketing": "0.05", "utility": "0.01", "authentication": "0.01"}}}
    assert api.call("PUT", "/rate-card", card, token=admin_token)[0] == 200
    statuses, _, counted = _history(seed=5)
    _post(api, statuses)
    _account(rules, process_inbound)
    prices = {"marketing": Decimal("0.05"), "utility": Decimal("0.01"), "authentication": Decimal("0.01")}
    expected = sum((prices[category] * billable for (_, category, _), (_, billable) in counted.items()
                    if billable), Decimal(0))
    report = api.call("GET", "/reports/costs?from=2025-11&to=2025-12", token=admin_token)[1]
    assert (report["currency"], Decimal(report["total_cost"])) == ("EUR", expected)


def test_the_demo_rate_card_states_its_date(api, demo, admin_token) -> None:
    card = api.call("GET", "/rate-card", token=admin_token)[1]
    assert (card["effective_from"], card["rates"]["CZ"]["marketing"]) == ("2025-07-01", "0.0860")


@pytest.mark.parametrize("query, field", [("from=2025-13", "from"), ("to=11-2025", "to"),
                                          ("from=2025-12&to=2025-11", "from")])
def test_a_bad_month_is_a_4xx_naming_the_field(api, demo, admin_token, query, field) -> None:
    status, body = api.call("GET", f"/reports/costs?{query}", token=admin_token)
    assert status in (400, 422)
    assert field in json.dumps(body)


def test_a_rate_card_with_an_unknown_category_is_refused(api, demo, admin_token) -> None:
    card = {"effective_from": "2026-01-01", "rates": {"CZ": {"marketting": "0.05"}}}
    status, body = api.call("PUT", "/rate-card", card, token=admin_token)
    assert status == 422
    assert "marketting" in json.dumps(body)


def test_operators_do_not_see_costs(api, demo, operator_token) -> None:
    assert api.call("GET", "/reports/costs", token=operator_token)[0] == 403


def test_a_volume_tier_update_is_shown_to_admins(api, demo, process_inbound, admin_token) -> None:
    raw, headers = signed(json.loads((FIXTURES / "account_update_volume_tier.json").read_text()))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()
    tiers = api.call("GET", "/reports/costs", token=admin_token)[1]["tier_updates"]
    assert [(t["effective_month"], t["category"], t["tier"]) for t in tiers] == [
        ("2026-12", "utility", "25000001:50000000")]
