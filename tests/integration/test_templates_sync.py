"""Template sync: Meta's templates are pulled page by page and replace the stored set as a whole; a
failing page leaves the previous set as it was, and the next run picks up the change."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from switchboard import clock
from switchboard.errors import Conflict
from switchboard.services import reset_services, services
from switchboard.templates import sync
from switchboard.templates.rendering import prepare_template_send

from functions.template_sync import handler as template_sync
from infra.local import seed
from infra.local.lambdas import LambdaContext
from tests.support.templates import (
    GRAPH,
    coupon_reminder,
    numbered,
    reservation_confirmation,
    simulated_graph,
)
from tests.support.whatsapp import DEMO_WABA_ID

SCHEDULED = {
    "version": "0",
    "id": "e1",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "000000000000",
    "time": "2026-11-21T06:00:00Z",
    "region": "eu-west-1",
    "resources": ["arn:aws:events:eu-west-1:000000000000:rule/template-sync"],
    "detail": {},
}


@pytest.fixture
def graph(demo, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("GRAPH_API_BASE_URL", GRAPH)
    reset_services()
    with simulated_graph() as catalog:
        yield catalog


def _stored(name: str, language: str = "en_US") -> dict:
    return services().templates.get("demo", "wa-demo", name, language)


def _sync(api, admin_token, body=None):  # noqa: ANN001, ANN202
    return api.call("POST", "/templates/sync", body if body is not None else {}, token=admin_token)


def test_a_three_page_sync_stores_every_template(api, graph, admin_token, operator_token) -> None:
    graph.put_all(DEMO_WABA_ID, numbered(250))

    started = time.perf_counter()
    status, body = _sync(api, admin_token)
    elapsed = time.perf_counter() - started

    assert status == 200 and body["ok"] is True
    result = body["channels"][0]
    assert (result["channel_id"], result["pages"], result["fetched"], result["created"]) == (
        "wa-demo",
        3,
        250,
        250,
    )
    assert [r["page"] for r in graph.requests] == [1, 2, 3]
    first = api.call("GET", "/templates?limit=200", token=operator_token)[1]
    rest = api.call("GET", f"/templates?limit=200&cursor={first['next_cursor']}", token=operator_token)[1]
    names = [t["name"] for t in first["items"] + rest["items"]]
    assert names == [f"tpl_{i:03d}" for i in range(250)] and rest["next_cursor"] is None
    assert first["items"][7]["body"] == "Order {{1}} is on its way (7)."
    assert first["items"][7]["parameters"]["body"] == ["1"]
    print(f"\nthree-page sync of 250 templates: {elapsed * 1000:.0f} ms")


def test_a_second_sync_without_changes_writes_nothing(api, graph, admin_token) -> None:
    graph.put_all(DEMO_WABA_ID, [coupon_reminder(), reservation_confirmation()])
    _sync(api, admin_token)
    before = _stored("coupon_expiration_reminder", "en")

    result = _sync(api, admin_token)[1]["channels"][0]

    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 2)
    assert _stored("coupon_expiration_reminder", "en")["updated_at"] == before["updated_at"]


def test_a_template_removed_at_meta_is_marked_deleted(api, graph, admin_token, operator_token) -> None:
    graph.put_all(DEMO_WABA_ID, [coupon_reminder(), reservation_confirmation()])
    _sync(api, admin_token)

    graph.remove(DEMO_WABA_ID, "reservation_confirmation")
    clock.advance(3600)
    result = _sync(api, admin_token)[1]["channels"][0]

    assert (result["deleted"], result["unchanged"]) == (1, 1)
    gone = _stored("reservation_confirmation")
    assert gone["status"] == "DELETED" and gone["deleted"] is True
    assert [h["status"] for h in gone["status_history"]] == ["APPROVED", "DELETED"]
    listed = api.call("GET", "/templates", token=operator_token)[1]["items"]
    assert [t["name"] for t in listed] == ["coupon_expiration_reminder"]
    deleted = api.call("GET", "/templates?status=DELETED", token=operator_token)[1]["items"]
    assert [(t["name"], t["deleted"]) for t in deleted] == [("reservation_confirmation", True)]
    with pytest.raises(Conflict) as refused:
        prepare_template_send(
            gone,
            {
                "header": {"link": "https://x.example/a.png"},
                "body": {"number_of_guests": "2", "day": "Friday"},
            },
        )
    assert refused.value.code == "template_not_approved" and "DELETED" in refused.value.message


def test_a_template_that_comes_back_is_approved_again(api, graph, admin_token) -> None:
    graph.put(DEMO_WABA_ID, coupon_reminder())
    _sync(api, admin_token)
    graph.remove(DEMO_WABA_ID, "coupon_expiration_reminder")
    _sync(api, admin_token)

    graph.put(DEMO_WABA_ID, coupon_reminder())
    _sync(api, admin_token)

    back = _stored("coupon_expiration_reminder", "en")
    assert back["status"] == "APPROVED" and back["deleted"] is False
    assert [h["status"] for h in back["status_history"]] == ["APPROVED", "DELETED", "APPROVED"]


def test_status_changes_are_recorded_with_their_time(api, graph, admin_token) -> None:
    graph.put(DEMO_WABA_ID, coupon_reminder())
    _sync(api, admin_token)
    first_at = _stored("coupon_expiration_reminder", "en")["status_history"][0]["at"]

    graph.update(
        DEMO_WABA_ID,
        "coupon_expiration_reminder",
        "en",
        status="PAUSED",
        quality_score={"score": "RED", "date": 1751300000},
    )
    clock.advance(2 * 3600)
    _sync(api, admin_token)

    paused = _stored("coupon_expiration_reminder", "en")
    assert paused["status"] == "PAUSED" and paused["quality_score"]["score"] == "RED"
    history = paused["status_history"]
    assert [h["status"] for h in history] == ["APPROVED", "PAUSED"]
    assert clock.parse_iso(history[1]["at"]) - clock.parse_iso(first_at) >= timedelta(hours=2)


@pytest.mark.parametrize(
    "code, page, expected",
    [(4, 2, "graph_rate_limited"), (80007, 3, "graph_rate_limited"), (190, 2, "graph_token_expired")],
)
def test_a_sync_failing_halfway_leaves_the_previous_set(
    api, graph, admin_token, monkeypatch, code, page, expected
) -> None:
    monkeypatch.setattr(sync, "PAGE_SIZE", 10)  # three pages of 10, 10 and 5
    graph.put_all(DEMO_WABA_ID, numbered(25))
    assert _sync(api, admin_token)[1]["channels"][0]["pages"] == 3
    # At Meta meanwhile: one template paused, one removed.
    graph.update(DEMO_WABA_ID, "tpl_010", "en_US", status="PAUSED")
    graph.remove(DEMO_WABA_ID, "tpl_024")
    graph.fail(code, at_page=page)

    status, body = _sync(api, admin_token)

    assert status == 200 and body["ok"] is False
    error = body["channels"][0]["error"]
    assert (error["code"], error["graph_code"], error["page"]) == (expected, code, page)
    assert _stored("tpl_010")["status"] == "APPROVED"
    assert _stored("tpl_024")["status"] == "APPROVED" and _stored("tpl_024")["deleted"] is False
    assert len(api.call("GET", "/templates?status=APPROVED", token=admin_token)[1]["items"]) == 25
    sync_status = services().templates.sync_status("demo", "wa-demo")
    assert sync_status["state"] == "failed" and sync_status["error"]["graph_code"] == code
    assert sync_status["last_success_at"] <= sync_status["last_attempt_at"]

    # The next hourly run succeeds and applies both changes.
    clock.advance(3600)
    outcome = template_sync.handler(SCHEDULED, LambdaContext("template_sync"))

    assert outcome == {"channels": 1, "failed": 0}
    assert _stored("tpl_010")["status"] == "PAUSED"
    assert _stored("tpl_024")["status"] == "DELETED"
    assert services().templates.sync_status("demo", "wa-demo")["state"] == "ok"


def test_the_hourly_run_syncs_every_whatsapp_channel_of_every_tenant(api, graph) -> None:
    seed.whatsapp_channel(
        "acme", "wa-acme", "200000000000001", "300000000000001", "acme-secret", "acme-verify", "acme-token"
    )
    graph.put(DEMO_WABA_ID, coupon_reminder())
    graph.put("300000000000001", reservation_confirmation())

    outcome = template_sync.handler(SCHEDULED, LambdaContext("template_sync"))

    assert outcome == {"channels": 2, "failed": 0}
    assert services().templates.get("demo", "wa-demo", "coupon_expiration_reminder", "en") is not None
    assert services().templates.get("acme", "wa-acme", "reservation_confirmation", "en_US") is not None
    assert services().templates.get("demo", "wa-demo", "reservation_confirmation", "en_US") is None


def test_only_admins_sync_and_only_their_channels(api, graph, admin_token, operator_token) -> None:
    status, body = _sync(api, operator_token)
    assert status == 403 and body["code"] == "forbidden"

    status, body = _sync(api, admin_token, {"channel_id": "wa-elsewhere"})
    assert status == 404

    graph.put(DEMO_WABA_ID, coupon_reminder())
    status, body = _sync(api, admin_token, {"channel_id": "wa-demo"})
    assert status == 200 and body["channels"][0]["created"] == 1


def test_the_template_list_filters_and_shows_what_a_send_needs(
    api, graph, admin_token, operator_token
) -> None:
    graph.put_all(
        DEMO_WABA_ID,
        [
            coupon_reminder(),
            reservation_confirmation(),
            coupon_reminder(language="es", status="REJECTED", rejected_reason="PROMOTIONAL"),
        ],
    )
    _sync(api, admin_token)

    def names(query: str) -> list[tuple[str, str]]:
        status, body = api.call("GET", f"/templates{query}", token=operator_token)
        assert status == 200, body
        return [(t["name"], t["language"]) for t in body["items"]]

    assert names("?status=APPROVED") == [
        ("coupon_expiration_reminder", "en"),
        ("reservation_confirmation", "en_US"),
    ]
    assert names("?status=rejected") == [("coupon_expiration_reminder", "es")]
    assert names("?category=UTILITY") == [("reservation_confirmation", "en_US")]
    assert names("?language=es") == [("coupon_expiration_reminder", "es")]
    assert names("?q=Reserv") == [("reservation_confirmation", "en_US")]
    assert names("?channel_id=wa-demo&q=coupon&language=en") == [("coupon_expiration_reminder", "en")]
    assert api.call("GET", "/templates?channel_id=wa-nope", token=operator_token)[0] == 404
    assert api.call("GET", "/templates?status=BOGUS", token=operator_token)[0] == 422

    items = api.call("GET", "/templates?q=coupon&language=en", token=operator_token)[1]["items"]
    coupon = items[0]
    assert coupon["body"] == "Your coupon code, {{1}}, *expires in only {{2}} days!*"
    assert coupon["header"] == {"format": "TEXT", "text": "Act fast, {{1}}!"}
    assert coupon["quality_score"] == "GREEN" and coupon["category"] == "MARKETING"
    assert coupon["parameters"] == {
        "format": "POSITIONAL",
        "header": {"format": "TEXT", "parameters": ["1"]},
        "body": ["1", "2"],
        "buttons": [
            {"index": 0, "sub_type": "url", "required": True, "text": "See deals"},
            {"index": 1, "sub_type": "quick_reply", "required": False, "text": "Unsubscribe"},
        ],
    }
    reservation = api.call("GET", "/templates?q=reservation", token=operator_token)[1]["items"][0]
    assert reservation["parameters"] == {
        "format": "NAMED",
        "header": {"format": "IMAGE", "parameters": []},
        "body": ["number_of_guests", "day"],
        "buttons": [],
    }


def test_records_known_only_from_webhooks_are_listed_without_parameters(api, graph, operator_token) -> None:
    """Before any sync, the inbound path may have stored what webhooks said (docs/inbound.md)."""
    table = services().table
    table.put({"pk": "T#demo#TPL#wa-demo", "sk": "ID#1689556908129835", "template_id": "1689556908129835",
               "status": "REJECTED"})
    table.put({"pk": "T#demo#TPL#wa-demo", "sk": "welcome#en", "name": "welcome", "language": "en",
               "status": "APPROVED", "category": "UTILITY"})
    table.put({"pk": "T#demo#TPL#wa-demo", "sk": "old_promo#en", "name": "old_promo", "language": "en",
               "status": "DELETED"})

    status, page = api.call("GET", "/templates", token=operator_token)

    assert status == 200
    assert [(t["name"], t["status"], t["parameters"]) for t in page["items"]] == [("welcome", "APPROVED", None)]
