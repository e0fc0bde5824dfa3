"""The REST API: a resource tree built from the routes declared ``api="rest"`` (the operators' API; the
webhooks are on the HTTP API, infra/cdk/http_api.py). Operator routes need a Cognito ID token (the
authorizer); the API description is open at the gateway.

- Every response API Gateway gives itself (its 401, 403, 404, 413, 429, 5xx...) is a gateway response in our
  error shape, ``{"code", "message"}``, with CORS headers so a browser frontend can read it.
- CORS: an OPTIONS preflight on every resource, answering the configured origins only
  (declaration.cors_origins: CDK context ``cors_origins``), never ``*``, no credentials (the API takes a
  bearer token, not cookies).
- Throttling: the stage's budget is the operators' alone (webhooks have their own on the HTTP API); per
  client, the optional web ACL's rate rules (infra/cdk/waf.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.cdk import nag
from infra.cdk.functions import live
from infra.declaration import Function, Route

STAGE = "v1"
BINARY_MEDIA_TYPES = ["multipart/form-data", "application/octet-stream"]
THROTTLE_RATE = 200  # requests per second, across the stage: operators' frontends only
THROTTLE_BURST = 400

# What a browser frontend may send and read (the preflight's answer).
CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key"]
CORS_EXPOSE_HEADERS = ["Location", "Retry-After"]
CORS_MAX_AGE = Duration.hours(1)

# Every response API Gateway can give itself (ResponseType), with our error code and, where ours differs from
# API Gateway's default, our status. MISSING_AUTHENTICATION_TOKEN is what API Gateway answers for a path or
# method it does not have (there are no IAM-authorized methods here): a 404, as the local runtime answers.
GATEWAY_RESPONSES: dict[str, tuple[str, str | None]] = {
    "DEFAULT_4XX": ("bad_request", None),
    "DEFAULT_5XX": ("internal_error", None),
    "ACCESS_DENIED": ("forbidden", None),
    "API_CONFIGURATION_ERROR": ("internal_error", None),
    "AUTHORIZER_CONFIGURATION_ERROR": ("internal_error", None),
    "AUTHORIZER_FAILURE": ("internal_error", None),
    "BAD_REQUEST_BODY": ("validation_error", None),
    "BAD_REQUEST_PARAMETERS": ("validation_error", None),
    "EXPIRED_TOKEN": ("unauthorized", None),
    "INTEGRATION_FAILURE": ("internal_error", None),
    "INTEGRATION_TIMEOUT": ("timeout", None),
    "INVALID_API_KEY": ("forbidden", None),
    "INVALID_SIGNATURE": ("forbidden", None),
    "MISSING_AUTHENTICATION_TOKEN": ("route_not_found", "404"),
    "QUOTA_EXCEEDED": ("quota_exceeded", None),
    "REQUEST_TOO_LARGE": ("payload_too_large", None),
    "RESOURCE_NOT_FOUND": ("route_not_found", None),
    "THROTTLED": ("throttled", None),
    "UNAUTHORIZED": ("unauthorized", None),
    "UNSUPPORTED_MEDIA_TYPE": ("unsupported_media_type", None),
    "WAF_FILTERED": ("forbidden", None),
}

# Why a route may be open at the gateway. An open route with no reason here fails the synth.
OPEN_ROUTE_REASONS = {
    "/webhooks/": "Webhook from Meta or the email provider: they cannot present a Cognito token; the "
                  "function verifies the provider's signature on the raw body (or the verify token of the "
                  "subscription handshake) before anything else.",
    "/openapi.json": "The API's public OpenAPI description: no data, no tenant.",
    "/swagger": "The public Swagger UI of the API description: no data, no tenant.",
    "/csat/": "The CSAT survey's link in a customer's email: customers have no Cognito token; the function "
              "verifies the link's HMAC signature (tenant, session, expiry) before recording anything.",
}


PREFLIGHT_REASON = ("CORS preflight (OPTIONS): a mock integration that answers the allowed origins, methods "
                    "and headers; browsers send it without credentials, it reaches no function and no data.")


def declared_routes(specs: tuple[Function, ...], api: str) -> list[tuple[Function, Route]]:
    """The routes one API serves, each (method, path) declared once across both APIs."""
    seen: set[tuple[str, str]] = set()
    found = []
    for spec in specs:
        for route in spec.routes:
            if (route.method, route.path) in seen:
                raise ValueError(f"{route.method} {route.path} is declared by two functions")
            seen.add((route.method, route.path))
            if route.api == api:
                found.append((spec, route))
    return found


def gateway_response_headers(origins: tuple[str, ...]) -> dict[str, str]:
    """CORS headers on API Gateway's own responses. A gateway response cannot choose among several origins,
    so with several it echoes the request's Origin: the body is an error code and message, never data, no
    credentials are allowed, and a browser on an origin not on the list is stopped at the preflight of any
    call that carries a token."""
    origin = f"'{origins[0]}'" if len(origins) == 1 else "method.request.header.Origin"
    return {"Access-Control-Allow-Origin": origin, "Vary": "'Origin'",
            "Access-Control-Allow-Headers": f"'{','.join(CORS_ALLOW_HEADERS)}'",
            "Access-Control-Expose-Headers": f"'{','.join(CORS_EXPOSE_HEADERS)}'"}


def open_route_reason(route: Route) -> str:
    for prefix, reason in OPEN_ROUTE_REASONS.items():
        if route.path == prefix or (prefix.endswith("/") and route.path.startswith(prefix)):
            return reason
    raise ValueError(f"{route.method} {route.path} is declared auth=False: give the reason in "
                     "infra/cdk/api.py OPEN_ROUTE_REASONS, or require a token")


class Api(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, specs: tuple[Function, ...],
                 functions: Mapping[str, lambda_.IFunction], user_pool: cognito.IUserPool,
                 cors_origins: tuple[str, ...], web_acl: bool = False) -> None:
        super().__init__(scope, construct_id)
        if "*" in cors_origins:
            raise ValueError("cors_origins: list the frontends' origins; '*' would let any site call the API")
        self.cors_origins = cors_origins
        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.THREE_MONTHS,
                                    removal_policy=RemovalPolicy.DESTROY)
        self.rest_api = apigateway.RestApi(
            self, "RestApi",
            rest_api_name="switchboard",
            description="Switchboard: operators' API",
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
        if not web_acl:
            nag.suppress(self.rest_api.deployment_stage, nag.suppression(
                "APIG3", "The WAF web ACL is declared but off by default (a per-deployment cost): stage "
                         "throttling and Cognito on operator routes come first; deploy with -c waf=true for "
                         "its per-client rate rules and AWS managed rules (infra/cdk/waf.py)."))
        for response_type, (code, status) in GATEWAY_RESPONSES.items():
            self.rest_api.add_gateway_response(
                f"{response_type.title().replace('_', '')}Response",
                type=getattr(apigateway.ResponseType,
                             response_type.replace("4XX", "4_XX").replace("5XX", "5_XX")),
                status_code=status,
                response_headers=gateway_response_headers(cors_origins),
                # $context.error.messageString is API Gateway's message, already a quoted JSON string.
                templates={"application/json":
                           f'{{"code": "{code}", "message": $context.error.messageString}}'},
            )
        self.validator = self.rest_api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True)
        self.authorizer = apigateway.CognitoUserPoolsAuthorizer(
            self, "Operators", cognito_user_pools=[user_pool],
            identity_source=apigateway.IdentitySource.header("Authorization"))

        integrations: dict[str, apigateway.LambdaIntegration] = {}
        methods: dict[str, list[str]] = {}
        for spec, route in declared_routes(specs, "rest"):
            # One integration (and one invoke permission) per function, not per route.
            if spec.name not in integrations:
                integrations[spec.name] = apigateway.LambdaIntegration(
                    live(functions[spec.name]), proxy=True, scope_permission_to_method=False)
            integration = integrations[spec.name]
            self._add_route(route, integration)
            methods.setdefault(route.path, []).append(route.method)
        for path, allowed in methods.items():
            preflight = self.rest_api.root.resource_for_path(path).add_cors_preflight(
                allow_origins=list(cors_origins), allow_methods=[*allowed, "OPTIONS"],
                allow_headers=CORS_ALLOW_HEADERS, expose_headers=CORS_EXPOSE_HEADERS,
                allow_credentials=False, max_age=CORS_MAX_AGE)
            nag.suppress(preflight, nag.suppression("APIG4", PREFLIGHT_REASON),
                         nag.suppression("COG4", PREFLIGHT_REASON))

    @property
    def public_url(self) -> str:
        """The stage's URL, built from the API's id and the stage's name: a function that links to the API can
        have it in its environment while the API's methods refer to the function (``RestApi.url`` refers to the
        stage, which depends on the methods: a cycle)."""
        stack = Stack.of(self)
        return f"https://{self.rest_api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}/{STAGE}"

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
