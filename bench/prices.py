"""AWS list prices, us-east-1, on-demand, no free tier, first pricing tier; and the few assumptions the
cost model needs that this machine cannot measure.

Sources (AWS public pricing pages, as published in 2025; this machine has no network to re-check them):
- Lambda, https://aws.amazon.com/lambda/pricing/ : Arm, $0.0000133334 per GB-second (first 7.5 billion
  GB-s a month), $0.20 per million requests; billed per 1 ms.
- API Gateway, https://aws.amazon.com/api-gateway/pricing/ : REST APIs, $3.50 per million (first 333 M);
  HTTP APIs, $1.00 per million (first 300 M, requests metered in 512 KB increments).
- DynamoDB, https://aws.amazon.com/dynamodb/pricing/on-demand/ : on-demand, $0.625 per million write
  request units, $0.125 per million read request units (the prices since the 1 November 2024 cut).
- SQS, https://aws.amazon.com/sqs/pricing/ : $0.40 per million standard requests, $0.50 per million FIFO
  requests (first 100 billion); every 64 KB chunk of a request's payload is one request.
- EventBridge, https://aws.amazon.com/eventbridge/pricing/ : custom events, $1.00 per million (64 KB each).
- CloudWatch Logs, https://aws.amazon.com/cloudwatch/pricing/ : ingestion, Standard class, $0.50 per GB.
- API Gateway WebSocket APIs, same page: $1.00 per million messages (first billion, metered in 32 KB
  increments), $0.25 per million connection minutes (not per message: left out of the per-message figures).
- X-Ray, https://aws.amazon.com/xray/pricing/ : $5.00 per million traces recorded (a trace: every segment
  with one trace id; SQS and EventBridge pass the trace header on to the functions they invoke).
- Lambda SnapStart (Python), https://aws.amazon.com/lambda/pricing/ : cache, $0.0000015046 per GB-second
  of each published version with SnapStart (at least 3 hours a version); restore, $0.0001397998 per GB
  restored.
- Twilio, https://www.twilio.com/en-us/whatsapp/pricing : $0.005 per WhatsApp message, on top of Meta's fee.
"""

from __future__ import annotations

PRICES_AS_OF = "2025 list prices (us-east-1)"

LAMBDA_ARM_USD_PER_GB_SECOND = 0.0000133334
LAMBDA_USD_PER_REQUEST = 0.20 / 1e6
API_GATEWAY_REST_USD_PER_REQUEST = 3.50 / 1e6
API_GATEWAY_HTTP_USD_PER_REQUEST = 1.00 / 1e6
HTTP_API_METERING_BYTES = 512 * 1024
API_GATEWAY_WEBSOCKET_USD_PER_MESSAGE = 1.00 / 1e6
DYNAMODB_USD_PER_WRU = 0.625 / 1e6
DYNAMODB_USD_PER_RRU = 0.125 / 1e6
SQS_STANDARD_USD_PER_REQUEST = 0.40 / 1e6
SQS_FIFO_USD_PER_REQUEST = 0.50 / 1e6
SQS_CHUNK_BYTES = 64 * 1024
EVENTBRIDGE_USD_PER_EVENT = 1.00 / 1e6
CLOUDWATCH_LOGS_USD_PER_GB = 0.50
XRAY_USD_PER_TRACE = 5.00 / 1e6
TWILIO_USD_PER_MESSAGE = 0.005
SNAPSTART_CACHE_USD_PER_GB_SECOND = 0.0000015046
SNAPSTART_RESTORE_USD_PER_GB = 0.0001397998

# --- assumptions (not measurable here) ---------------------------------------------------------------
# At system log level INFO (Lambda's default) Lambda writes START, END and REPORT lines per invocation (REPORT
# with the X-Ray trace id): about 350 B. At WARN, which the declaration sets (infra/declaration.py
# SYSTEM_LOG_LEVEL), a successful invocation writes none: "with this setting [INFO], Lambda automatically
# sends start and report log messages" (Lambda developer guide, "Log-level filtering").
LAMBDA_PLATFORM_LOG_BYTES_AT_INFO = 350
# X-Ray's default sampling rule: the first request each second, then 5%; at volume, 5% of invocations.
XRAY_SAMPLED_SHARE = 0.05
# Same-region service latency as a Lambda sees it (p50, milliseconds): what the functions wait for in AWS
# instead of in moto. Round figures in the ranges AWS documents ("single-digit milliseconds" for
# DynamoDB; transactions about twice a single write) and that we have seen in CloudWatch for SQS and
# EventBridge. Used to turn the measured own time of a function into a billed duration.
AWS_LATENCY_MS = {
    "dynamodb:GetItem": 4.0, "dynamodb:BatchGetItem": 5.0, "dynamodb:Query": 6.0, "dynamodb:PutItem": 6.0,
    "dynamodb:UpdateItem": 6.0, "dynamodb:DeleteItem": 6.0, "dynamodb:TransactWriteItems": 12.0,
    "dynamodb:TransactGetItems": 8.0, "dynamodb:BatchWriteItem": 10.0,
    "sqs:SendMessage": 8.0, "sqs:SendMessageBatch": 10.0, "sqs:ChangeMessageVisibility": 8.0,
    "eventbridge:PutEvents": 15.0, "secrets-manager:GetSecretValue": 15.0, "s3:GetObject": 15.0,
    "s3:PutObject": 20.0,
}
AWS_LATENCY_DEFAULT_MS = 10.0
# Inbound traffic arrives one message per webhook and, at ordinary volume, one record per invocation
# of contact_resolution (the FIFO queue's batching helps only under load): the costly case.
# Operators connected to a tenant's realtime WebSocket while its messages arrive: the fan-out pushes each
# event to each of them (one WebSocket message each). An assumption for the per-message figure.
CONNECTED_OPERATORS_PER_TENANT = 2
# Every message we send comes back as three status webhooks: sent, delivered, read.
STATUSES_PER_SEND = 3
# Meta's Graph API answering a send (POST /<phone_number_id>/messages), p50: the send worker waits for it.
GRAPH_API_LATENCY_MS = 300.0
# Our traffic, for the monthly figures (docs/performance.md): a tenant base of a few hundred operators.
# Inbound messages and statuses a month, operator API requests a month, and how many new execution
# environments Lambda starts a month per function (cold starts; with SnapStart, restores): at this volume
# Lambda keeps a few environments warm and replaces each every few hours, more when traffic rises.
MONTHLY_INBOUND_MESSAGES = 3_000_000
MONTHLY_OPERATOR_REQUESTS = 2_000_000
MONTHLY_NEW_ENVIRONMENTS_PER_FUNCTION = 3_000
SECONDS_PER_MONTH = 30 * 24 * 3600
# Published versions with a cached snapshot at any time, per function: the live one (an old version's
# snapshot is deleted with the version; CDK keeps the previous one until the next deploy).
CACHED_VERSIONS_PER_FUNCTION = 2


def api_gateway_usd_per_request(api: str, payload_bytes: int = 0) -> float:
    """One request through the API Gateway that serves the route (infra/declaration.py's ``Route.api``)."""
    if api == "http":
        return max(1, -(-payload_bytes // HTTP_API_METERING_BYTES)) * API_GATEWAY_HTTP_USD_PER_REQUEST
    return API_GATEWAY_REST_USD_PER_REQUEST
