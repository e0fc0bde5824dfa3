"""Webhook fields besides messages: template events update the template record forward-only and announce
themselves, marketing preferences set the opt-out flag campaigns read, and webhook-level errors (and
fields we do not act on) are kept for admins, newest first, once each."""

from __future__ import annotations

import copy

from switchboard import clock
from switchboard.services import services
from switchboard.storage import keys

from tests.support.inbound import fixture, post, seed_fixture_channels


def _with_time(body: dict, at: int) -> dict:
    body = copy.deepcopy(body)
    body["entry"][0]["time"] = at
    return body


def test_template_events_update_the_template_forward_only(api, demo, process_inbound) -> None:
    seed_fixture_channels()
    approved = fixture("template_status_update", "approved")
    paused = copy.deepcopy(approved)
    paused["entry"][0]["changes"][0]["value"]["event"] = "PAUSED"
    post(api, _with_time(paused, 2_000_000_000))
    post(api, _with_time(approved, 1_900_000_000))  # older, delivered late
    post(api, fixture("template_quality_update", "yellow"))
    post(api, fixture("template_category_update", "marketing"))
    post(api, fixture("template_components_update", "element"))
    process_inbound()

    table = services().table
    order = table.get(keys.template("demo", "wa-second", "order_confirmation#en_US"))
    assert (order["status"], order["category"], order["template_id"]) == ("PAUSED", "UTILITY", "1689556908129832")
    welcome = table.get(keys.template("demo", "wa-second", "welcome_template#en_US"))
    assert (welcome["quality"], welcome["previous_quality"]) == ("YELLOW", "GREEN")
    mine = table.get(keys.template("demo", "wa-templates", "my_message_template#he"))
    assert mine["category"] == "MARKETING"
    assert mine["components_update"] == {"message_template_element": "Hi {{1}}! Welcome to our service."}


def test_marketing_preferences_set_the_opt_out_flag_latest_first(api, demo, process_inbound) -> None:
    seed_fixture_channels()
    stop = fixture("user_marketing_preferences", "resume")
    preference = stop["entry"][0]["changes"][0]["value"]["user_preferences"][0]
    preference.update(value="stop", timestamp=1731705800)
    post(api, stop)
    post(api, fixture("user_marketing_preferences", "resume"))  # 79 s older: arrives late, changes nothing
    process_inbound()
    flag = services().webhook_updates.opt_out("demo", "wa-second", "16505551234")
    assert flag["opted_out"] is True and flag["at"] == clock.iso(clock.from_unix(1731705800))

    later = fixture("user_marketing_preferences", "signup")
    later["entry"][0]["changes"][0]["value"]["user_preferences"][0]["timestamp"] = 1731705900
    post(api, later)
    process_inbound()
    assert services().webhook_updates.opt_out("demo", "wa-second", "16505551234")["opted_out"] is False


def test_webhook_errors_are_listed_for_admins_newest_first_once_each(
        api, demo, process_inbound, admin_token, operator_token) -> None:
    seed_fixture_channels()
    with_error = fixture("message", "interactive_message_with_err")
    post(api, with_error)
    process_inbound()
    clock.advance(60)
    second = copy.deepcopy(with_error)
    second["entry"][0]["changes"][0]["value"]["errors"][0]["code"] = 130429
    post(api, second)
    post(api, with_error)  # Meta delivers the first one again, later
    account = {"object": "whatsapp_business_account", "entry": [{"id": "1234567890987654321", "changes": [
        {"field": "account_update", "value": {"phone_number": "972123456789", "event": "VERIFIED_ACCOUNT"}}]}]}
    post(api, account)
    process_inbound()

    status, page = api.call("GET", "/webhook-errors", token=admin_token)
    assert status == 200
    assert [item["errors"][0]["code"] for item in page["items"]] == [130429, 131000]
    assert page["items"][0]["channel_id"] == "wa-fixtures"
    first = api.call("GET", "/webhook-errors?limit=1", token=admin_token)[1]
    rest = api.call("GET", f"/webhook-errors?limit=1&cursor={first['next_cursor']}", token=admin_token)[1]
    assert [i["errors"][0]["code"] for i in first["items"] + rest["items"]] == [130429, 131000]
    fields = api.call("GET", "/webhook-errors?kind=field", token=admin_token)[1]["items"]
    assert [(f["field"], f["payload"]["event"]) for f in fields] == [("account_update", "VERIFIED_ACCOUNT")]
    assert api.call("GET", "/webhook-errors", token=operator_token)[0] == 403
    assert api.call("GET", "/webhook-errors?kind=nope", token=admin_token)[0] == 422
