"""POST /sessions/{id}/typing: Meta's typing indicator with the read receipt of the customer's last message,
once per five seconds per session (429 with Retry-After), only inside the customer-service window."""

from __future__ import annotations

from switchboard import clock

from tests.support.conversations import customer_writes


def _session_of(api, token: str) -> str:
    return api.call("GET", "/sessions", token=token)[1]["items"][0]["session_id"]


def _typing(api, token: str, session_id: str):
    return api.gateway.handle("POST", f"/sessions/{session_id}/typing", {"Authorization": f"Bearer {token}"}, b"")


def test_typing_marks_the_last_message_read_and_shows_the_indicator(api, demo, graph, process_inbound,
                                                                    operator_token) -> None:
    customer_writes(api, process_inbound, "First")
    last = customer_writes(api, process_inbound, "Are you there?")
    reply = _typing(api, operator_token, _session_of(api, operator_token))
    assert reply.status == 200
    assert graph.typing_indicators == [last]


def test_a_second_indicator_within_five_seconds_is_429_with_retry_after(api, demo, graph, process_inbound,
                                                                        operator_token) -> None:
    customer_writes(api, process_inbound)
    session_id = _session_of(api, operator_token)
    assert _typing(api, operator_token, session_id).status == 200
    clock.advance(2)
    again = _typing(api, operator_token, session_id)
    assert (again.status, again.headers.get("Retry-After")) == (429, "3")
    assert len(graph.typing_indicators) == 1


def test_after_five_seconds_it_may_go_again(api, demo, graph, process_inbound, operator_token) -> None:
    customer_writes(api, process_inbound)
    session_id = _session_of(api, operator_token)
    _typing(api, operator_token, session_id)
    clock.advance(5)
    assert _typing(api, operator_token, session_id).status == 200


def test_outside_the_window_it_is_refused(api, demo, graph, process_inbound, operator_token) -> None:
    customer_writes(api, process_inbound)
    session_id = _session_of(api, operator_token)
    clock.advance(24 * 3600 + 1)
    status, body = api.call("POST", f"/sessions/{session_id}/typing", token=operator_token)
    assert (status, body["code"]) == (409, "window_closed")
    assert graph.typing_indicators == []


def test_a_refused_indicator_frees_the_slot(api, demo, graph, process_inbound, operator_token,
                                           monkeypatch) -> None:
    from switchboard.clients.graph import GraphClient, GraphError

    customer_writes(api, process_inbound)
    session_id = _session_of(api, operator_token)
    real = GraphClient.typing

    def refused(self, phone_number_id: str, wamid: str) -> None:
        raise GraphError(500, 131000, "Something went wrong")

    monkeypatch.setattr(GraphClient, "typing", refused)
    status, body = api.call("POST", f"/sessions/{session_id}/typing", token=operator_token)
    assert (status, body["code"]) == (502, "provider_unavailable")
    monkeypatch.setattr(GraphClient, "typing", real)
    assert _typing(api, operator_token, session_id).status == 200
