"""The APIs have exactly the declared routes: on the REST API, operator routes behind the Cognito authorizer
and the API description open at the gateway; on the HTTP API, the webhooks (verified by signature in code).
API Gateway's own errors are in our error shape, CORS answers the configured origins only, and the webhooks
and the operators each have their own throttle budget."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.declaration import CORS_ORIGINS_DEFAULT, FUNCTIONS, Route
from tests.infra.stack_view import StackView, referenced_ids

pytestmark = pytest.mark.infra

DECLARED = [(spec.name, route) for spec in FUNCTIONS for route in spec.routes]
# Every ResponseType API Gateway has (a REST API's own answers, before or instead of a function's).
RESPONSE_TYPES = {
    "DEFAULT_4XX", "DEFAULT_5XX", "ACCESS_DENIED", "API_CONFIGURATION_ERROR",
    "AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE", "BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS",
    "EXPIRED_TOKEN", "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT", "INVALID_API_KEY", "INVALID_SIGNATURE",
    "MISSING_AUTHENTICATION_TOKEN",
    "QUOTA_EXCEEDED", "REQUEST_TOO_LARGE", "RESOURCE_NOT_FOUND", "THROTTLED", "UNAUTHORIZED",
    "UNSUPPORTED_MEDIA_TYPE", "WAF_FILTERED",
}


def test_the_rest_api_has_exactly_the_operator_routes(stack: StackView) -> None:
    in_template = sorted((r.method, r.path) for r in stack.routes())
    assert in_template == sorted((route.method, route.path) for _, route in DECLARED if route.api == "rest")


def test_the_http_api_has_exactly_the_webhook_routes(stack: StackView) -> None:
    in_template = sorted((r.method, r.path) for r in stack.http_routes())
    assert in_template == sorted((route.method, route.path) for _, route in DECLARED if route.api == "http")
    assert {route.path for _, route in DECLARED if route.api == "http"} == {
        "/webhooks/whatsapp", "/webhooks/email/{channel_id}"}


@pytest.mark.parametrize(("name", "route"), DECLARED, ids=[f"{r.method} {r.path}" for _, r in DECLARED])
def test_route_reaches_its_function_with_the_declared_authorization(
        stack: StackView, name: str, route: Route) -> None:
    served = stack.routes() if route.api == "rest" else stack.http_routes()
    (found,) = [r for r in served if (r.method, r.path) == (route.method, route.path)]

    assert found.function == name
    assert found.authorization == ("COGNITO_USER_POOLS" if route.auth else "NONE")


def test_the_http_api_hands_the_webhooks_payload_format_2(stack: StackView) -> None:
    (integration,) = stack.of_v2_api("AWS::ApiGatewayV2::Integration", "HTTP").values()
    assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"


def test_the_webhooks_have_their_own_throttle_budget_and_access_logs(stack: StackView) -> None:
    (http_stage,) = stack.of_v2_api("AWS::ApiGatewayV2::Stage", "HTTP").values()
    (rest_stage,) = stack.of_type("AWS::ApiGateway::Stage").values()
    webhooks = http_stage["Properties"]["DefaultRouteSettings"]
    (operators,) = rest_stage["Properties"]["MethodSettings"]

    assert http_stage["Properties"]["StageName"] == "$default"
    assert webhooks["ThrottlingRateLimit"] == 500
    assert webhooks["ThrottlingBurstLimit"] == 1000
    assert operators["ThrottlingRateLimit"] == 200
    assert operators["ThrottlingBurstLimit"] == 400
    (log_group,) = referenced_ids(http_stage["Properties"]["AccessLogSettings"]["DestinationArn"])
    assert stack.resources[log_group]["Type"] == "AWS::Logs::LogGroup"
    assert "$context.status" in http_stage["Properties"]["AccessLogSettings"]["Format"]


def _gateway_responses(stack: StackView) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["ResponseType"]: r["Properties"]
            for r in stack.of_type("AWS::ApiGateway::GatewayResponse").values()}


def test_every_response_api_gateway_gives_itself_is_in_our_error_shape(stack: StackView) -> None:
    responses = _gateway_responses(stack)
    assert set(responses) == RESPONSE_TYPES
    for response_type, props in responses.items():
        template = props["ResponseTemplates"]["application/json"]
        # What API Gateway renders: $context.error.messageString is a quoted JSON string.
        rendered = json.loads(template.replace("$context.error.messageString", '"Unauthorized"'))
        assert set(rendered) == {"code", "message"}, response_type
        assert rendered["code"] and rendered["code"] == rendered["code"].lower(), response_type


@pytest.mark.parametrize(("response_type", "code"), [
    ("UNAUTHORIZED", "unauthorized"), ("ACCESS_DENIED", "forbidden"), ("THROTTLED", "throttled"),
    ("REQUEST_TOO_LARGE", "payload_too_large"), ("INTEGRATION_TIMEOUT", "timeout"),
    ("MISSING_AUTHENTICATION_TOKEN", "route_not_found"), ("DEFAULT_4XX", "bad_request"),
    ("DEFAULT_5XX", "internal_error")])
def test_gateway_errors_carry_our_code(stack: StackView, response_type: str, code: str) -> None:
    template = _gateway_responses(stack)[response_type]["ResponseTemplates"]["application/json"]
    assert json.loads(template.replace("$context.error.messageString", '"x"'))["code"] == code


def test_an_unknown_route_is_a_404_not_api_gateways_403(stack: StackView) -> None:
    assert _gateway_responses(stack)["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"


def test_gateway_errors_can_be_read_by_a_browser_frontend(stack: StackView) -> None:
    for response_type, props in _gateway_responses(stack).items():
        headers = props["ResponseParameters"]
        # Two default origins: the request's Origin is echoed (the preflight is what refuses other origins).
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "method.request.header.Origin"
        assert headers["gatewayresponse.header.Vary"] == "'Origin'"
        assert "gatewayresponse.header.Access-Control-Allow-Credentials" not in headers, response_type


def test_every_operator_route_has_a_cors_preflight_for_the_configured_origins_only(stack: StackView) -> None:
    preflights = stack.preflights()
    operator_paths = {route.path for _, route in DECLARED if route.api == "rest"}

    assert set(preflights) == operator_paths
    for path, props in preflights.items():
        integration = props["Integration"]
        template = integration["RequestTemplates"]["application/json"] if "RequestTemplates" in integration \
            else ""
        answered = json.dumps(integration["IntegrationResponses"])
        assert props["AuthorizationType"] == "NONE" and integration["Type"] == "MOCK", path
        assert template, path
        assert all(origin in answered for origin in CORS_ORIGINS_DEFAULT), path
        assert "'*'" not in answered, path
        assert "Access-Control-Allow-Credentials" not in answered, path
        assert "Authorization" in answered, path


def test_the_webhook_paths_have_no_preflight(stack: StackView) -> None:
    """Meta and Mailgun are servers, not browsers: no CORS on the HTTP API."""
    (api,) = stack.of_v2_api("AWS::ApiGatewayV2::Api", "HTTP").values()
    assert "CorsConfiguration" not in api["Properties"]
    assert not [p for p in stack.preflights() if p.startswith("/webhooks")]


def test_functions_serving_operator_routes_know_the_allowed_origins(stack: StackView) -> None:
    for spec in FUNCTIONS:
        environment = stack.environment(spec.name)
        if any(route.api == "rest" for route in spec.routes):
            assert environment["SWITCHBOARD_CORS_ORIGINS"] == ",".join(CORS_ORIGINS_DEFAULT), spec.name
        else:
            assert "SWITCHBOARD_CORS_ORIGINS" not in environment, spec.name


def test_the_csat_survey_links_to_the_operators_api_stage(stack: StackView) -> None:
    """The e-mail survey's links (GET /csat/{token}) point at the deployed REST API, not at localhost."""
    (api,) = stack.of_type("AWS::ApiGateway::RestApi")
    url = stack.environment("csat_survey")["SWITCHBOARD_PUBLIC_API_URL"]

    assert referenced_ids(url) == {api}
    assert json.dumps(url).endswith('/v1"]]}')


def test_only_functions_that_link_to_the_api_get_its_url(stack: StackView) -> None:
    linking = {spec.name for spec in FUNCTIONS if "SWITCHBOARD_PUBLIC_API_URL" in stack.environment(spec.name)}
    assert linking == {"csat_survey"}


def _synth(tmp_path: Path, context: dict[str, Any]) -> StackView:
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from infra.cdk.app import context as app_context
    from infra.cdk.stack import SwitchboardStack

    (tmp_path / "layer" / "python").mkdir(parents=True, exist_ok=True)
    stack = SwitchboardStack(cdk.App(context={**app_context(), **context}), layer_dir=tmp_path / "layer")
    return StackView(Template.from_stack(stack).to_json())


def test_the_cors_origins_come_from_the_cdk_context(tmp_path: Path) -> None:
    view = _synth(tmp_path, {"cors_origins": "https://inbox.example.com/"})

    answered = json.dumps(view.preflights()["/sessions"]["Integration"]["IntegrationResponses"])
    response = next(iter(_gateway_responses(view).values()))["ResponseParameters"]
    assert "'https://inbox.example.com'" in answered
    assert "localhost" not in answered
    assert response["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://inbox.example.com'"
    assert view.environment("operator_api")["SWITCHBOARD_CORS_ORIGINS"] == "https://inbox.example.com"


def test_a_wildcard_origin_is_refused_at_synth(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cors_origins: list the frontends' origins"):
        _synth(tmp_path, {"cors_origins": "*"})


def test_the_web_acl_is_off_by_default(stack: StackView) -> None:
    assert stack.of_type("AWS::WAFv2::WebACL") == {}
    assert stack.of_type("AWS::WAFv2::WebACLAssociation") == {}


def test_the_web_acl_throttles_operator_routes_per_client_when_switched_on(tmp_path: Path) -> None:
    view = _synth(tmp_path, {"waf": "true"})

    (acl_id, acl), = view.of_type("AWS::WAFv2::WebACL").items()
    (association,) = view.of_type("AWS::WAFv2::WebACLAssociation").values()
    (stage,) = view.of_type("AWS::ApiGateway::Stage")
    rules = {r["Name"]: r for r in acl["Properties"]["Rules"]}
    per_operator = rules["PerOperator"]["Statement"]["RateBasedStatement"]
    per_address = rules["PerAddress"]["Statement"]["RateBasedStatement"]

    assert acl["Properties"]["Scope"] == "REGIONAL"
    assert referenced_ids(association["Properties"]["WebACLArn"]) == {acl_id}
    assert stage in json.dumps(association["Properties"]["ResourceArn"])
    assert per_operator["AggregateKeyType"] == "CUSTOM_KEYS"
    assert per_operator["CustomKeys"][0]["Header"]["Name"] == "authorization"
    assert per_address["AggregateKeyType"] == "IP"
    assert rules["PerOperator"]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    assert view.of_type("AWS::WAFv2::LoggingConfiguration")


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
    """Every method that reaches a function (a preflight is a mock integration: nothing to validate)."""
    (validator,) = stack.of_type("AWS::ApiGateway::RequestValidator")
    methods = [m for m in stack.of_type("AWS::ApiGateway::Method").values()
               if m["Properties"]["HttpMethod"] != "OPTIONS"]
    assert methods
    assert all(referenced_ids(m["Properties"].get("RequestValidatorId")) == {validator} for m in methods)
