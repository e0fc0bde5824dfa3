"""Whatever a frontend sends, the directory answers with a documented refusal, never a server error."""

from __future__ import annotations

from tests.support.contacts import create

ODD = [
    ("GET", "/contacts?q=%00%FF%F0%9F%98%80", None),
    ("GET", "/contacts?q=" + "a" * 200, None),
    ("GET", "/contacts?q=%2B", None),
    ("GET", "/contacts?attr.=x&attr.tier=&tag=", None),
    ("GET", "/contacts?cursor=eyJwayI6IHsiUyI6ICJ4In19", None),
    ("GET", "/contacts?limit=0", None),
    ("GET", "/contacts?active_to=2026-01-01T00:00:00", None),
    ("POST", "/contacts", {"name": "x", "attributes": {"n": 10**30}}),
    ("POST", "/contacts", {"name": "x", "identities": [{"kind": "wa", "value": "a#b"}]}),
    ("POST", "/contacts", {"name": "x", "identities": [{"kind": "phone", "value": "+420777123456"}]}),
    ("POST", "/contacts", {"name": "x", "tags": ["   "]}),
    ("POST", "/contacts", {"name": "x", "language": "klingon!"}),
    ("POST", "/contacts", {"name": "x", "unexpected": 1}),
    ("POST", "/contacts", b"not json"),
    ("PATCH", "/contacts/{id}", {"name": None}),
    ("PATCH", "/contacts/{id}", {"emails": ["a@b"]}),
    ("POST", "/contacts/{id}/identifiers", {"kind": "attr:crm_id", "value": "1"}),
    ("POST", "/contacts/{id}/identifiers", {"kind": "wa", "value": "   "}),
    ("DELETE", "/contacts/{id}/identifiers/attr:/x", None),
    ("DELETE", "/contacts/{id}/identifiers/phone/not-a-number", None),
    ("POST", "/contacts/{id}/block", {"duration": "until", "until": "2030-01-01T00:00:00"}),
    ("POST", "/contacts/{id}/merge", {"contact_id": "../x"}),
    ("GET", "/contacts/{id}/history?q=%F0%9F%98%80", None),
    ("PUT", "/contact-attributes", {"definitions": [{"name": "a"}, {"name": "a"}]}),
    ("PUT", "/sessions/NOPE/contact", {"contact_id": "{id}"}),
    ("DELETE", "/sessions/NOPE/contact", None),
]


def test_odd_input_is_refused_or_answered_never_a_server_error(api, demo, admin_token) -> None:
    cid = create(api, admin_token, name="Odd")["contact_id"]
    for method, path, body in ODD:
        if isinstance(body, dict):
            body = {k: (v.replace("{id}", cid) if isinstance(v, str) else v) for k, v in body.items()}
        status, answer = api.call(method, path.replace("{id}", cid), body, token=admin_token)
        assert status < 500, (method, path, answer)
        if status >= 400:
            assert answer["code"] and answer["message"], (method, path)
        if status == 422:
            assert answer["field"], (method, path)
