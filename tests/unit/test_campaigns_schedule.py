"""When campaigns fire, what each recipient's parameters are, and how fast sends are let out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from switchboard.campaigns.dispatch import Pacer, message_id_for, whatsapp_id
from switchboard.campaigns.parameters import resolve
from switchboard.campaigns.schedule import Cron, at_expression, next_fire, parse_at
from switchboard.errors import InvalidInput

SATURDAY_5AM = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)


def test_a_weekday_cron_in_prague_fires_on_monday_at_nine_local_time():
    assert next_fire("cron(0 9 ? * MON-FRI *)", "Europe/Prague", SATURDAY_5AM) == datetime(
        2026, 11, 23, 8, 0, tzinfo=UTC)


def test_steps_lists_and_names_are_understood():
    assert next_fire("cron(*/15 * * * ? *)", "UTC", datetime(2026, 11, 21, 5, 7, tzinfo=UTC)) == datetime(
        2026, 11, 21, 5, 15, tzinfo=UTC)
    assert next_fire("cron(30 8,20 1 JAN,JUL ? *)", "UTC", SATURDAY_5AM) == datetime(2027, 1, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("expression", ["cron(0 9 * * *)", "cron(0 9 * * MON *)", "cron(61 * * * ? *)",
                                        "cron(0 9 L * ? *)", "0 9 * * ? *"])
def test_a_cron_expression_eventbridge_would_refuse_is_refused_naming_the_field(expression):
    with pytest.raises(InvalidInput) as refused:
        Cron.parse(expression)
    assert refused.value.field == "schedule.cron"


def test_an_at_time_is_written_and_read_in_the_campaigns_time_zone():
    moment = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert at_expression(moment, "Europe/Prague") == "at(2026-12-01T09:00:00)"
    assert parse_at("at(2026-12-01T09:00:00)", "Europe/Prague") == moment
    assert next_fire("at(2026-12-01T09:00:00)", "Europe/Prague", moment) is None  # due: fires no more after


def test_parameters_come_from_the_contact_or_are_literal():
    contact = {"contact_id": "C1", "name": "Ann", "phones": ["+420700000001"], "attributes": {"tier": "gold"}}
    spec = {"body": {"customer_name": {"from": "contact.name"}, "tier": {"from": "contact.attributes.tier"},
                     "code": {"value": "X1"}},
            "buttons": [{"index": 0, "sub_type": "url", "value": {"from": "contact.id"}}]}
    assert resolve(spec, contact) == {"body": {"customer_name": "Ann", "tier": "gold", "code": "X1"},
                                      "buttons": [{"index": 0, "sub_type": "url", "value": "C1"}]}


def test_a_contact_without_the_value_a_parameter_needs_is_named_unless_there_is_a_default():
    spec = {"body": [{"from": "contact.attributes.city"}]}
    with pytest.raises(InvalidInput) as refused:
        resolve(spec, {"attributes": {}})
    assert refused.value.field == "parameters.body.1"
    assert resolve({"body": [{"from": "contact.attributes.city", "default": "Brno"}]}, {}) == {"body": ["Brno"]}


def test_the_whatsapp_number_prefers_the_channels_identity_then_the_phone():
    contact = {"identities": [{"kind": "wa", "value": "15550001111", "channel_id": "other"},
                              {"kind": "wa", "value": "15550002222", "channel_id": "wa-demo"}],
               "phones": ["+420700000001"]}
    assert whatsapp_id(contact, "wa-demo") == "15550002222"
    assert whatsapp_id({"phones": ["+420700000001"]}, "wa-demo") == "420700000001"
    assert whatsapp_id({"phones": []}, "wa-demo") is None


def test_a_recipients_message_id_is_the_same_whichever_run_writes_it():
    assert message_id_for("CAMP1", "C1") == message_id_for("CAMP1", "C1")
    assert message_id_for("CAMP1", "C1") != message_id_for("CAMP1", "C2")
    assert len(message_id_for("CAMP1", "C1")) == 26


def test_the_pacer_spreads_sends_evenly_and_never_bursts_to_catch_up():
    now = [0.0]
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(80, monotonic=lambda: now[0], sleep=sleep)
    moments = []
    for _ in range(16):  # 160 sends in bursts of 10
        pacer.wait(pacer.burst)
        moments.append(now[0])
    assert pacer.burst == 10
    assert moments[-1] == pytest.approx(15 * 10 / 80)  # 80 a second, evenly
    now[0] += 5.0  # the sender fell behind (a slow page)
    pacer.wait(4)
    start = now[0]
    pacer.wait(4)
    assert now[0] - start == pytest.approx(4 / 80)  # no burst to make up for the lost time
