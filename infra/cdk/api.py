"""The REST API: a resource tree built from every function's routes. Operator routes need a Cognito ID
token (the authorizer); webhooks and the API description are open at the gateway (webhooks are verified by
their signature in code)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.cdk import nag
from infra.declaration import Function, Route

STAGE = "v1"
BINARY_MEDIA_TYPES = ["multipart/form-data", "application/octet-stream"]
THROTTLE_RATE = 200  # requests per second, across the stage
THROTTLE_BURST = 400

# Why a route may be open at the gateway. An open route with no reason here fails the synth.
OPEN_ROUTE_REASONS = {
    "/webhooks/": "Webhook from Meta or the email provider: they cannot present a Cognito token; the "
                  "function verifies the provider's signature on the raw body (or the verify token of the "
                  "subscription handshake) before anything else.",
    "/openapi.json": "The API's public OpenAPI description: no data, no tenant.",
    "/swagger": "The public Swagger UI of the API description: no data, no tenant.",
}


def open_route_reason(route: Route) -> str:
    for prefix, reason in OPEN_ROUTE_REASONS.items():
        if route.path == prefix or (prefix.endswith("/") and route.path.startswith(prefix)):
            return reason
    raise ValueError(f"{route.method} {route.path} is declared auth=False: give the reason in "
                     "infra/cdk/api.py OPEN_ROUTE_REASONS, or require a token")


class Api(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, specs: tuple[Function, ...],
                 functions: Mapping[str, lambda_.IFunction], user_pool: cognito.IUserPool) -> None:
        super().__init__(scope, construct_id)
        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.THREE_MONTHS,
                                    removal_policy=RemovalPolicy.DESTROY)
        self.rest_api = apigateway.RestApi(
            self, "RestApi",
            rest_api_name="switchboard",
            description="Switchboard: operators' API and provider webhooks",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            binary_media_types=BINARY_MEDIA_TYPES,
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigateway.StageOptions(
                stage_name=STAGE,
                throttling_rate_limit=THROTTLE_RATE,
                throttling_burst_limit=THROTTLE_BURST,
                # Errors only, and never request or response bodies: they carry customers' messages.
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=False, http_method=True, ip=True, protocol=True, request_time=True,
                    resource_path=True, response_length=True, status=True, user=True),
            ),
        )
        nag.suppress(self.rest_api.node.find_child("CloudWatchRole"), nag.suppression(
            "IAM4", "API Gateway's account-level CloudWatch role uses the AWS managed "
                    "AmazonAPIGatewayPushToCloudWatchLogs policy, the one AWS documents for it; it is needed "
                    "for the stage's execution logs (APIG6).",
            applies_to=["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                        "AmazonAPIGatewayPushToCloudWatchLogs"]))
        nag.suppress(self.rest_api.deployment_stage, nag.suppression(
            "APIG3", "No WAF web ACL in the base stack (cost, per deployment): stage throttling, Cognito on "
                     "operator routes and signature checks on webhooks come first; attach a web ACL to the "
                     "stage where the traffic warrants it."))
        self.validator = self.rest_api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True)
        self.authorizer = apigateway.CognitoUserPoolsAuthorizer(
            self, "Operators", cognito_user_pools=[user_pool],
            identity_source=apigateway.IdentitySource.header("Authorization"))

        declared: set[tuple[str, str]] = set()
        for spec in specs:
            if not spec.routes:
                continue
            # One integration (and one invoke permission) per function, not per route.
            integration = apigateway.LambdaIntegration(
                functions[spec.name], proxy=True, scope_permission_to_method=False)
            for route in spec.routes:
                if (route.method, route.path) in declared:
                    raise ValueError(f"{route.method} {route.path} is declared by two functions")
                declared.add((route.method, route.path))
                self._add_route(route, integration)

    def _add_route(self, route: Route, integration: apigateway.LambdaIntegration) -> None:
        resource = self.rest_api.root.resource_for_path(route.path)
        if route.auth:
            resource.add_method(route.method, integration, request_validator=self.validator,
                                authorization_type=apigateway.AuthorizationType.COGNITO,
                                authorizer=self.authorizer)
            return
        method = resource.add_method(route.method, integration, request_validator=self.validator,
                                     authorization_type=apigateway.AuthorizationType.NONE)
        reason = open_route_reason(route)
        nag.suppress(method, nag.suppression("APIG4", reason), nag.suppression("COG4", reason))
