"""The Graph API simulator answers as Meta does: validation (100), auth (190), the throughput limit
(130429) and the pair limit (131056), faults by recipient, media upload and download, read receipts."""

from __future__ import annotations

import json

from infra.local.graph_simulator import GraphSimulator

AUTH = {"Authorization": "Bearer token", "Content-Type": "application/json"}


def _post(sim: GraphSimulator, body: dict, headers: dict | None = None, path: str = "/v25.0/111/messages"):  # noqa: ANN202
    reply = sim.handle("POST", path, {}, headers if headers is not None else AUTH, json.dumps(body).encode())
    return reply.status, json.loads(reply.body)


def _text(to: str = "+420777000001") -> dict:
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "hi"}}


def _simulator(**faults) -> GraphSimulator:  # noqa: ANN003
    sim = GraphSimulator()
    sim.configure(status_callbacks=False, **faults)
    return sim


def test_a_valid_send_gets_a_wamid_and_a_bad_one_error_100() -> None:
    sim = _simulator()
    status, body = _post(sim, _text())
    assert status == 200 and body["messages"][0]["id"].startswith("wamid.")
    status, body = _post(sim, {"messaging_product": "whatsapp", "to": "+1", "type": "text", "text": {}})
    assert status == 400 and body["error"]["code"] == 100 and body["error"]["error_data"]["details"]
    status, body = _post(sim, _text(), headers={})
    assert (status, body["error"]["code"]) == (401, 190)


def test_the_throughput_limit_answers_130429_beyond_the_numbers_rate() -> None:
    sim = _simulator(throughput_mps=20)
    answers = [_post(sim, _text(f"+4207770{i:05d}")) for i in range(40)]
    codes = [body["error"]["code"] for status, body in answers if status != 200]
    assert 20 <= sum(1 for status, _ in answers if status == 200) <= 22 + 20  # the second may roll over once
    assert codes and set(codes) == {130429}


def test_the_pair_limit_answers_131056_for_one_recipient_only() -> None:
    sim = _simulator(pair_limit=3, pair_window_s=6)
    answers = [_post(sim, _text("+420777000009"))[0] for _ in range(5)]
    assert answers == [200, 200, 200, 400, 400]
    assert sim.rejected[131056] == 2
    assert _post(sim, _text("+420777000010"))[0] == 200


def test_faults_for_a_recipient_and_five_hundreds() -> None:
    sim = _simulator(recipient_errors={"420777000011": 131026})
    status, body = _post(sim, _text("+420777000011"))
    assert (status, body["error"]["code"]) == (400, 131026)
    sim.configure(error_5xx_rate=1.0)
    status, body = _post(sim, _text())
    assert (status, body["error"]["code"]) == (500, 131000)
    assert sim.sends_per_message() == {}


def test_media_upload_download_and_send_by_id() -> None:
    sim = _simulator()
    boundary = "XyZ"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nimage/png\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + b"\x89PNG-bytes" + f"\r\n--{boundary}--\r\n".encode()
    reply = sim.handle("POST", "/v25.0/111/media", {}, {"Authorization": "Bearer t",
                                                         "Content-Type": f"multipart/form-data; boundary={boundary}"}, form)
    media_id = json.loads(reply.body)["id"]
    info = json.loads(sim.handle("GET", f"/v25.0/{media_id}", {}, AUTH, b"").body)
    assert info["mime_type"] == "image/png" and info["file_size"] == len(b"\x89PNG-bytes")
    download = sim.handle("GET", f"/_media/{media_id}", {}, AUTH, b"")
    assert download.body == b"\x89PNG-bytes" and download.headers["Content-Type"] == "image/png"
    assert _post(sim, {"messaging_product": "whatsapp", "to": "+1555", "type": "image", "image": {"id": media_id}})[0] == 200
    assert _post(sim, {"messaging_product": "whatsapp", "to": "+1555", "type": "image", "image": {"id": "999"}})[0] == 400


def test_a_read_receipt_is_recorded() -> None:
    sim = _simulator()
    status, body = _post(sim, {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"})
    assert (status, body, sim.read_receipts) == (200, {"success": True}, ["wamid.X"])


def test_status_webhooks_are_signed_with_the_numbers_app_secret() -> None:
    from switchboard.whatsapp.signature import is_valid

    delivered: list[tuple[bytes, dict]] = []
    sim = GraphSimulator(deliver=lambda raw, headers: delivered.append((raw, headers)),
                         numbers={"111": {"app_secret": "s3cret", "waba_id": "222", "display_phone_number": "1"}})
    sim.configure(callback_delays_s=[0.0, 0.0, 0.0])
    wamid = _post(sim, _text())[1]["messages"][0]["id"]
    import time

    deadline = time.monotonic() + 5
    while len(delivered) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    sim.close()
    statuses = [json.loads(raw)["entry"][0]["changes"][0]["value"]["statuses"][0] for raw, _ in delivered]
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"] and {s["id"] for s in statuses} == {wamid}
    assert all(is_valid(raw, headers["X-Hub-Signature-256"], "s3cret") for raw, headers in delivered)


def test_status_webhooks_due_together_are_batched_and_a_failed_post_is_tried_again() -> None:
    """With ``callback_batch`` the statuses due at once share one POST (as Meta aggregates them); a POST the
    receiver refuses is posted again a second later, so no status is lost."""
    import time

    posts: list[bytes] = []

    def receiver(raw: bytes, headers: dict) -> None:
        posts.append(raw)
        if len(posts) == 1:
            raise ConnectionError("the webhook endpoint is down")

    sim = GraphSimulator(deliver=receiver,
                         numbers={"111": {"app_secret": "s3cret", "waba_id": "222", "display_phone_number": "1"}})
    sim.configure(callback_delays_s=[0.2], callback_batch=50)
    wamids = {_post(sim, _text(to=f"4207000000{n:02d}"))[1]["messages"][0]["id"] for n in range(5)}
    deadline = time.monotonic() + 5
    while sim.callbacks.delivered < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    sim.close()
    batches = [json.loads(raw)["entry"][0]["changes"][0]["value"]["statuses"] for raw in posts]
    assert len(batches) == 2  # one batch, refused, then posted again
    for statuses in batches:
        assert {s["id"] for s in statuses} == wamids and {s["status"] for s in statuses} == {"sent"}
    assert sim.callbacks.failures == 5
