"""The REST API has exactly the declared routes: operator routes behind the Cognito authorizer, webhooks and
the API description open at the gateway."""

from __future__ import annotations

import pytest

from infra.declaration import FUNCTIONS, Route
from tests.infra.stack_view import StackView, referenced_ids

pytestmark = pytest.mark.infra

DECLARED = [(spec.name, route) for spec in FUNCTIONS for route in spec.routes]


def test_the_api_has_exactly_the_declared_routes(stack: StackView) -> None:
    in_template = sorted((r.method, r.path) for r in stack.routes())
    assert in_template == sorted((route.method, route.path) for _, route in DECLARED)


@pytest.mark.parametrize(("name", "route"), DECLARED, ids=[f"{r.method} {r.path}" for _, r in DECLARED])
def test_route_reaches_its_function_with_the_declared_authorization(
        stack: StackView, name: str, route: Route) -> None:
    (found,) = [r for r in stack.routes() if (r.method, r.path) == (route.method, route.path)]

    assert found.function == name
    assert found.authorization == ("COGNITO_USER_POOLS" if route.auth else "NONE")


def test_authorized_routes_use_the_operators_user_pool(stack: StackView) -> None:
    (authorizer,) = stack.of_type("AWS::ApiGateway::Authorizer").values()
    (pool,) = stack.of_type("AWS::Cognito::UserPool")
    methods = [m["Properties"] for m in stack.of_type("AWS::ApiGateway::Method").values()
               if m["Properties"]["AuthorizationType"] == "COGNITO_USER_POOLS"]

    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert [referenced_ids(arn) for arn in authorizer["Properties"]["ProviderARNs"]] == [{pool}]
    assert methods and all("AuthorizerId" in m for m in methods)


def test_operators_cannot_write_their_own_tenant_or_role(stack: StackView) -> None:
    (pool,) = stack.of_type("AWS::Cognito::UserPool").values()
    (client,) = stack.of_type("AWS::Cognito::UserPoolClient").values()
    custom = {a["Name"] for a in pool["Properties"]["Schema"] if a.get("AttributeDataType") == "String"}

    assert {"tenant_id", "role"} <= custom
    assert {"custom:tenant_id", "custom:role"} <= set(client["Properties"]["ReadAttributes"])
    # An absent WriteAttributes would make every attribute writable.
    assert client["Properties"]["WriteAttributes"]
    assert not [a for a in client["Properties"]["WriteAttributes"] if a.startswith("custom:")]
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_the_api_accepts_binary_bodies(stack: StackView) -> None:
    (api,) = stack.of_type("AWS::ApiGateway::RestApi").values()
    assert set(api["Properties"]["BinaryMediaTypes"]) == {"multipart/form-data", "application/octet-stream"}


def test_the_stage_is_throttled_logged_and_traced_without_bodies_in_logs(stack: StackView) -> None:
    (stage,) = stack.of_type("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    (settings,) = props["MethodSettings"]

    assert props["AccessLogSetting"]["DestinationArn"]
    assert props["TracingEnabled"] is True
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    assert settings["LoggingLevel"] in {"ERROR", "INFO"}
    assert settings["DataTraceEnabled"] is False


def test_every_method_validates_its_request(stack: StackView) -> None:
    (validator,) = stack.of_type("AWS::ApiGateway::RequestValidator")
    methods = stack.of_type("AWS::ApiGateway::Method").values()
    assert all(referenced_ids(m["Properties"].get("RequestValidatorId")) == {validator} for m in methods)
