"""In the cloud, inviting goes through Cognito (moto's): AdminCreateUser with the tenant and the role as
custom attributes; disabling and enabling reach the pool; the operator's id is the user's ``sub``."""

from __future__ import annotations

import boto3
import pytest

from switchboard.services import reset_services
from tests.support.team import Team


@pytest.fixture
def pool(aws, monkeypatch) -> str:
    client = boto3.client("cognito-idp")
    pool_id = client.create_user_pool(
        PoolName="operators",
        UsernameAttributes=["email"],
        Schema=[
            {"Name": "tenant_id", "AttributeDataType": "String", "Mutable": True},
            {"Name": "role", "AttributeDataType": "String", "Mutable": True},
        ],
    )["UserPool"]["Id"]
    monkeypatch.setenv("USER_POOL_ID", pool_id)
    reset_services()
    return pool_id


@pytest.fixture
def team(api, demo, aws, pool):
    return Team(api, aws)


def _user(pool: str, username: str) -> dict:
    return boto3.client("cognito-idp").admin_get_user(UserPoolId=pool, Username=username)


def test_an_invite_creates_the_user_with_its_tenant_and_role_and_the_sub_is_the_operator_id(
    team: Team, pool: str
) -> None:
    invited = team.invite("Ada", role="admin")
    user = _user(pool, "ada@example.com")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert (attributes["custom:tenant_id"], attributes["custom:role"], attributes["sub"]) == (
        "demo",
        "admin",
        invited["operator_id"],
    )


def test_disabling_and_enabling_reach_the_pool(team: Team, api, pool: str) -> None:
    ada = team.invite("Ada")
    api.call("PATCH", f"/operators/{ada['operator_id']}", {"disabled": True}, token=team.admin)
    assert _user(pool, "ada@example.com")["Enabled"] is False
    api.call("PATCH", f"/operators/{ada['operator_id']}", {"disabled": False}, token=team.admin)
    assert _user(pool, "ada@example.com")["Enabled"] is True


def test_a_role_change_reaches_the_pool(team: Team, api, pool: str) -> None:
    ada = team.invite("Ada")
    api.call("PATCH", f"/operators/{ada['operator_id']}", {"role": "admin"}, token=team.admin)
    attributes = {a["Name"]: a["Value"] for a in _user(pool, "ada@example.com")["UserAttributes"]}
    assert attributes["custom:role"] == "admin"


def test_an_email_another_tenant_signs_in_with_is_a_409(team: Team, api, pool: str) -> None:
    from infra.local import tokens

    team.invite("Ada")
    status, body = api.call(
        "POST",
        "/operators",
        {"name": "Ada", "email": "ada@example.com"},
        token=tokens.issue("acme", "admin", "acme-admin"),
    )
    assert (status, body["code"]) == (409, "email_taken")
