"""The WebSocket API and the realtime pipeline in the synthesized stack (docs/realtime.md)."""

from __future__ import annotations

import pytest

from tests.infra.stack_view import StackView, referenced_ids

pytestmark = pytest.mark.infra


def _routes(stack: StackView) -> dict[str, dict]:
    return {r["Properties"]["RouteKey"]: r["Properties"] for r in stack.of_v2_api("AWS::ApiGatewayV2::Route", "WEBSOCKET").values()}


def test_connecting_needs_the_token_authorizer_and_every_route_reaches_the_connection_function(
        stack: StackView) -> None:
    routes = _routes(stack)
    authorizers = stack.of_v2_api("AWS::ApiGatewayV2::Authorizer", "WEBSOCKET")
    (authorizer_id, authorizer), = authorizers.items()
    connection_fn = stack.invoked("realtime_connection")

    assert set(routes) == {"$connect", "$disconnect", "$default"}
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert authorizer_id in referenced_ids(routes["$connect"]["AuthorizerId"])
    assert authorizer["Properties"]["IdentitySource"] == ["route.request.querystring.token"]
    assert stack.invoked("realtime_authorizer") in referenced_ids(authorizer["Properties"]["AuthorizerUri"])
    for integration in stack.of_v2_api("AWS::ApiGatewayV2::Integration", "WEBSOCKET").values():
        assert connection_fn in referenced_ids(integration["Properties"]["IntegrationUri"])


def test_the_authorizer_knows_the_user_pool_and_its_app_client(stack: StackView) -> None:
    environment = stack.environment("realtime_authorizer")

    assert set(environment) >= {"COGNITO_ISSUER", "COGNITO_CLIENT_ID"}


def test_the_fanout_may_post_to_this_apis_connections_only(stack: StackView) -> None:
    (api_id, _), = stack.of_v2_api("AWS::ApiGatewayV2::Api", "WEBSOCKET").items()
    statements = stack.statements_of("realtime_fanout")
    manage = [s for s in statements if s.allows("execute-api:ManageConnections")]

    assert manage
    assert all(s.on(api_id) for s in manage)
    assert all("@connections/*" in str(s.resources) for s in manage)
    assert "WEBSOCKET_CALLBACK_URL" in stack.environment("realtime_fanout")
    assert not any(s.allows("execute-api:ManageConnections") for s in stack.statements_of("operator_api"))


def test_the_fanout_listens_to_inbox_events_on_our_bus(stack: StackView) -> None:
    fanout = stack.invoked("realtime_fanout")
    rules = [r["Properties"] for r in stack.of_type("AWS::Events::Rule").values()
             if any(fanout in referenced_ids(t["Arn"]) for t in r["Properties"].get("Targets", []))]

    assert len(rules) == 1
    assert {"message.received", "session.assigned", "contact.merged"} <= set(rules[0]["EventPattern"]["detail-type"])
    assert rules[0]["EventBusName"]


def test_webhook_deliveries_have_a_dead_letter_queue_and_only_the_worker_consumes_them(stack: StackView) -> None:
    queue = stack.declared_resource("queue:webhooks")

    assert stack.event_source_queue("webhook_delivery") == queue
    assert stack.dead_letter_queue_of(queue)
    for name in ("realtime_fanout", "operator_api", "contact_resolution"):
        assert not any(s.allows("sqs:ReceiveMessage") and s.on(queue) for s in stack.statements_of(name)), name


def test_only_the_operator_api_and_the_survey_create_secrets_and_only_under_the_prefix(stack: StackView) -> None:
    creators = [name for name in stack.functions()
                if any(s.allows("secretsmanager:CreateSecret") for s in stack.statements_of(name))]
    statements = [s for name in creators for s in stack.statements_of(name) if s.allows("secretsmanager:CreateSecret")]

    # operator_api: channels' and subscriptions' secrets; csat_survey: the tenant's survey-link key (docs/reports.md)
    assert sorted(creators) == ["csat_survey", "operator_api"]
    assert all("switchboard/*" in str(s.resources) for s in statements)
