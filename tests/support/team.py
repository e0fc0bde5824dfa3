"""Helpers for the team's tests: inviting operators, groups, presence, routing events run in-process."""

from __future__ import annotations

import time
from typing import Any

from infra.declaration import function
from infra.local import event_rules, tokens
from switchboard import clock
from tests.support.whatsapp import envelope, signed, text_message


class Team:
    """A tenant's team driven through the API as its admin would, with routing events delivered to
    session_routing the way EventBridge would (``route()`` drains them)."""

    def __init__(self, api: Any, aws: Any, tenant: str = "demo") -> None:
        self.api, self.tenant = api, tenant
        self.admin = tokens.issue(tenant, "admin", f"{tenant}-admin")
        self.rule_queues = event_rules.create_rules(aws.environment["EVENT_BUS_NAME"])

    def route(self) -> int:
        """Run session_routing over every event waiting for it (and the events those publish)."""
        spec, total = function("session_routing"), 0
        while delivered := event_rules.drain(spec, self.rule_queues["session_routing"]):
            total += delivered
        return total

    def invite(
        self,
        name: str,
        capacity: int = 3,
        role: str = "operator",
        groups: list[str] | None = None,
        languages: list[str] | None = None,
    ) -> dict[str, Any]:
        status, body = self.api.call(
            "POST",
            "/operators",
            {
                "name": name,
                "email": f"{name.lower().replace(' ', '.')}@example.com",
                "role": role,
                "capacity": capacity,
                "groups": groups or [],
                "languages": languages or [],
            },
            token=self.admin,
        )
        assert status == 201, body
        return body

    def token(self, operator: dict[str, Any]) -> str:
        return tokens.issue(self.tenant, operator["role"], operator["operator_id"])

    def group(
        self,
        name: str,
        members: list[str] = (),
        mode: str = "round_robin",
        business_hours: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "members": list(members), "routing_mode": mode}
        if business_hours:
            body["business_hours"] = business_hours
        status, created = self.api.call("POST", "/groups", body, token=self.admin)
        assert status == 201, created
        return created

    def rules(self, rules: list[dict[str, Any]], default_group_id: str | None = None) -> None:
        status, body = self.api.call(
            "PUT", "/routing-rules", {"rules": rules, "default_group_id": default_group_id}, token=self.admin
        )
        assert status == 200, body

    def online(self, operator: dict[str, Any], status: str = "online") -> dict[str, Any]:
        code, body = self.api.call(
            "PUT", "/operators/me/presence", {"status": status}, token=self.token(operator)
        )
        assert code == 200, body
        return body

    def operator(self, operator_id: str) -> dict[str, Any]:
        return self.api.call("GET", f"/operators/{operator_id}", token=self.admin)[1]

    def session(self, session_id: str) -> dict[str, Any]:
        return self.api.call("GET", f"/sessions/{session_id}", token=self.admin)[1]

    def waiting(self, group_id: str) -> list[dict[str, Any]]:
        status, body = self.api.call(
            "GET", f"/sessions?group_id={group_id}&operator_id=none&limit=100", token=self.admin
        )
        assert status == 200, body
        return body["items"]


def customer_writes(api: Any, sender: str, text: str = "Hello", phone_number_id: str | None = None) -> None:
    """A customer's message, timestamped now (the 24-hour window is open)."""
    message = text_message(
        sender=sender, body=text, timestamp=int(clock.now().timestamp()), name=f"Customer {sender[-4:]}"
    )
    body = envelope([message], **({"phone_number_id": phone_number_id} if phone_number_id else {}))
    raw, headers = signed(body)
    status, reply = api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    assert status == 200, reply


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
