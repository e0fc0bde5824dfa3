"""The HTTP API (API Gateway v2) of the routes declared ``api="http"``: the providers' webhooks.

Why not the REST API: webhooks need no Cognito authorizer, no gateway responses for browsers and no request
validator; they need their own throttle budget (a busy frontend must never make Meta's deliveries fail) and
they are most of the requests, at $1.00 per million on an HTTP API against REST's $3.50. What they need is
kept:

- the raw bytes: payload format 2.0 gives the body as sent (base64 when it is not text, ``isBase64Encoded``),
  which the function decodes before checking the provider's signature (switchboard.api.routes.webhooks);
- the 10 MB limit: an HTTP API's payload limit is 10 MB, as REST's;
- throttling: the ``$default`` stage's default route throttle is the webhooks' own budget;
- access logs: JSON, to their own log group, without bodies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigatewayv2 as apigatewayv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.cdk import nag
from infra.cdk.api import declared_routes, open_route_reason
from infra.cdk.functions import live
from infra.declaration import Function

THROTTLE_RATE = 500  # requests per second: Meta's deliveries (statuses of an 80 msg/s campaign: ~240/s)
THROTTLE_BURST = 1000

ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime", "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status", "protocol": "$context.protocol", "responseLength": "$context.responseLength",
    "integrationError": "$context.integrationErrorMessage", "latency": "$context.responseLatency",
})


class HttpApi(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, specs: tuple[Function, ...],
                 functions: Mapping[str, lambda_.IFunction]) -> None:
        super().__init__(scope, construct_id)
        routes = declared_routes(specs, "http")
        self.http_api = apigatewayv2.HttpApi(
            self, "HttpApi", api_name="switchboard-webhooks",
            description="Switchboard: provider webhooks (WhatsApp, email)", create_default_stage=False)
        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.THREE_MONTHS,
                                    removal_policy=RemovalPolicy.DESTROY)
        self.stage = apigatewayv2.HttpStage(
            self, "DefaultStage", http_api=self.http_api, stage_name="$default", auto_deploy=True,
            throttle=apigatewayv2.ThrottleSettings(rate_limit=THROTTLE_RATE, burst_limit=THROTTLE_BURST))
        stage: apigatewayv2.CfnStage = self.stage.node.default_child  # type: ignore[assignment]
        stage.access_log_settings = apigatewayv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn, format=ACCESS_LOG_FORMAT)

        by_function: dict[str, integrations.HttpLambdaIntegration] = {}
        for spec, route in routes:
            if route.auth:
                raise ValueError(f"{route.method} {route.path}: the HTTP API has no operator authorizer; "
                                 "declare operator routes api='rest'")
            # One integration (and one invoke permission) per function; payload format 2.0.
            if spec.name not in by_function:
                by_function[spec.name] = integrations.HttpLambdaIntegration(
                    f"{spec.name}Integration", live(functions[spec.name]),
                    payload_format_version=apigatewayv2.PayloadFormatVersion.VERSION_2_0,
                    scope_permission_to_route=False)
            integration = by_function[spec.name]
            for added in self.http_api.add_routes(path=route.path, integration=integration,
                                                  methods=[apigatewayv2.HttpMethod(route.method)]):
                reason = open_route_reason(route)
                route: apigatewayv2.CfnRoute = added.node.default_child  # type: ignore[assignment]
                nag.suppress(route, nag.suppression("APIG4", reason))

    @property
    def url(self) -> str:
        return self.http_api.api_endpoint + "/"
