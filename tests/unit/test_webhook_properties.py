"""Whatever bytes arrive at the webhook, the parser answers with an envelope or a clear InvalidInput:
never another exception (which would become a 5xx and make Meta retry garbage for a week)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchboard.errors import InvalidInput
from switchboard.domain.inbound_queue import WhatsAppEvent, parse_queued
from switchboard.whatsapp.envelope import parse_envelope, split_change

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)

message_like = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=40), "type": st.sampled_from(["text", "image", "weird", ""])},
    optional={"from": st.text(max_size=20), "timestamp": st.text(max_size=12), "text": json_values,
              "from_user_id": st.text(max_size=30)},
)

envelope_like = st.fixed_dictionaries({
    "object": st.sampled_from(["whatsapp_business_account", "page", ""]),
    "entry": st.lists(st.fixed_dictionaries({
        "id": st.text(max_size=20),
        "changes": st.lists(st.fixed_dictionaries({
            "field": st.sampled_from(["messages", "message_template_status_update", "x"]),
            "value": st.fixed_dictionaries({}, optional={
                "metadata": st.fixed_dictionaries({"phone_number_id": st.text(max_size=15)}),
                "messages": st.lists(message_like, max_size=3),
                "statuses": st.lists(st.fixed_dictionaries({"id": st.text(min_size=1, max_size=20),
                                                             "status": st.text(max_size=10)}), max_size=3),
                "contacts": st.lists(json_values, max_size=2),
                "errors": st.lists(json_values, max_size=2),
            }),
        }), max_size=3),
    }), max_size=3),
})


def _split_all(raw: bytes) -> list[WhatsAppEvent]:
    envelope = parse_envelope(raw)
    events: list[WhatsAppEvent] = []
    for entry in envelope.entry:
        for change in entry.changes:
            events.extend(split_change(entry, change, "t", "c"))
    return events


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_an_envelope_or_invalid_input(raw: bytes) -> None:
    try:
        _split_all(raw)
    except InvalidInput as error:
        assert error.field


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(envelope_like)
def test_envelope_shaped_json_splits_or_names_the_bad_field(body: dict) -> None:
    try:
        events = _split_all(json.dumps(body).encode())
    except InvalidInput as error:
        assert error.field
        return
    for event in events:
        for sqs_id in (event.dedup_id, event.group_id):
            assert len(sqs_id) <= 128 and sqs_id.isascii() and sqs_id.isprintable() and " " not in sqs_id
        parse_queued(event.body())  # travels on the queue intact
