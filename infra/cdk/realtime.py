"""The WebSocket API for operators' frontends (docs/realtime.md), built from the declaration's
``websocket_routes`` and ``websocket_authorizer`` functions:

- ``$connect`` is authorized by the declared authorizer function (a Lambda REQUEST authorizer reading
  ``?token=``, verifying the Cognito ID token against the user pool's keys); the routes go to the declared
  connection function.
- The ``websocket`` binding gives a function that declares it (the fan-out) the stage's callback URL and
  ``execute-api:ManageConnections`` on this stage's connections only.
- The stage is throttled and writes JSON access logs."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.cdk import nag
from infra.cdk.bindings import Binding
from infra.cdk.functions import live
from infra.cdk.naming import pascal
from infra.declaration import Function

STAGE = "live"
THROTTLE_RATE = 200  # messages per second across the stage (connects and client frames)
THROTTLE_BURST = 400
TOKEN_SOURCE = "route.request.querystring.token"


class Realtime(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, user_pool: cognito.IUserPool,
                 client: cognito.IUserPoolClient) -> None:
        super().__init__(scope, construct_id)
        self.user_pool, self.client = user_pool, client
        self.api = apigwv2.WebSocketApi(self, "WebSocketApi", description="Switchboard: operators' realtime push")
        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.THREE_MONTHS,
                                    removal_policy=RemovalPolicy.DESTROY)
        self.stage = apigwv2.WebSocketStage(
            self, "Stage", web_socket_api=self.api, stage_name=STAGE, auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=THROTTLE_RATE, burst_limit=THROTTLE_BURST))
        stage: apigwv2.CfnStage = self.stage.node.default_child  # type: ignore[assignment]
        stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn,
            format='{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
                   '"routeKey":"$context.routeKey","status":"$context.status",'
                   '"connectionId":"$context.connectionId","error":"$context.error.message",'
                   '"authorizerError":"$context.authorizer.error"}')
        stage_arn = Stack.of(self).format_arn(service="execute-api", resource=self.api.api_id,
                                              resource_name=f"{STAGE}/POST/@connections/*")
        manage_reason = nag.suppression(
            "IAM5", "Connection ids are made by API Gateway at run time; the fan-out may post to (and delete) "
                    f"any connection of this WebSocket API's {STAGE} stage, nothing else.",
            applies_to=[nag.regex(r"^Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
                                  r"<.*WebSocketApi.*>/.*@connections/\*$")])

        def grant_manage(grantee: iam.IGrantable) -> iam.Grant:
            return iam.Grant.add_to_principal(grantee=grantee, actions=["execute-api:ManageConnections"],
                                              resource_arns=[stage_arn, stage_arn.replace("/POST/", "/DELETE/")])

        self.binding = Binding(self.stage.callback_url, {"manage": grant_manage}, (manage_reason,))

    def serve(self, specs: tuple[Function, ...], functions: Mapping[str, lambda_.Function]) -> None:
        """The authorizer and the routes, once the functions exist."""
        authorizing = [spec for spec in specs if spec.websocket_authorizer]
        if len(authorizing) != 1:
            raise ValueError("the WebSocket API needs exactly one websocket_authorizer function")
        authorizer_fn = functions[authorizing[0].name]
        authorizer_fn.add_environment("COGNITO_ISSUER", self.user_pool.user_pool_provider_url)
        authorizer_fn.add_environment("COGNITO_CLIENT_ID", self.client.user_pool_client_id)
        authorizer = authorizers.WebSocketLambdaAuthorizer("Authorizer", live(authorizer_fn),
                                                           identity_source=[TOKEN_SOURCE])
        for spec in specs:
            for route_key in spec.websocket_routes:
                name = pascal(spec.name) + pascal(route_key.strip("$"))
                integration = integrations.WebSocketLambdaIntegration(f"{name}Integration",
                                                                      live(functions[spec.name]))
                route = self.api.add_route(route_key, integration=integration,
                                           authorizer=authorizer if route_key == "$connect" else None)
                if route_key != "$connect":
                    nag.suppress(route, nag.suppression(
                        "APIG4", "A WebSocket API authorizes at $connect only (API Gateway allows an authorizer "
                                 "on $connect alone); later routes carry that connection's authorizer context."),
                                 children=False)
