"""One declaration of every function, its triggers (routes, queue, schedules, events), its environment
and the resources it may touch. The CDK stack (infra/cdk) and the local runtime (infra/local) are both
built from this module and from nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from switchboard.realtime.catalog import EVENT_TYPES as REALTIME_EVENT_TYPES

Access = Literal["read", "write", "readwrite", "send", "consume", "put", "manage"]


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str  # API Gateway form: /sessions/{session_id}
    auth: bool = True  # operator routes need a JWT; webhooks are verified by signature in code
    # Which API Gateway serves it: the REST API (operators: Cognito authorizer, gateway responses, per-client
    # throttling) or an HTTP API (webhooks: their own throttle budget, a third of REST's price per request).
    api: Literal["rest", "http"] = "rest"


@dataclass(frozen=True)
class QueueTrigger:
    queue: str
    batch_size: int = 10
    max_batching_window_s: int = 0
    local_pollers: int = 1  # the local runtime's concurrent pollers (Lambda runs several per queue; a FIFO
    # queue's pollers take different message groups)
    # The most concurrent invocations this trigger may start (the event source mapping's MaximumConcurrency,
    # 2 to 1000): a cap on what one queue's backlog can take of the account's Lambda concurrency.
    max_concurrency: int = 10


@dataclass(frozen=True)
class ScheduleTrigger:
    expression: str  # EventBridge: rate(1 hour) or cron(...)
    description: str = ""


@dataclass(frozen=True)
class EventTrigger:
    """An EventBridge rule on the Switchboard bus, or on the account's default bus for AWS services'
    events (SES event destinations and S3's EventBridge notifications only publish there).

    ``detail``: a content filter on the event's detail, in EventBridge's event-pattern syntax (exact values,
    ``prefix``, ``exists``, ``anything-but``, ``$or``: infra/event_patterns.py says which), so the function
    is invoked only for the events it acts on (docs/cold-start-and-cost.md, "Filtered bus rules"). The
    producer puts what the filter reads into the detail."""

    detail_types: tuple[str, ...]
    source: str = "switchboard"
    bus: Literal["switchboard", "default"] = "switchboard"
    detail: Mapping[str, Any] | None = field(default=None, hash=False)


@dataclass(frozen=True)
class Function:
    name: str
    description: str
    uses: dict[str, Access]
    routes: tuple[Route, ...] = ()
    queue: QueueTrigger | None = None
    schedules: tuple[ScheduleTrigger, ...] = ()
    events: tuple[EventTrigger, ...] = ()
    scheduler_target: bool = False  # invoked by EventBridge Scheduler schedules made at run time
    local_event_pollers: int = 1  # the local runtime's concurrent invocations of its event rules' targets
    # The WebSocket API (docs/realtime.md): the route keys this function serves ($connect, $disconnect,
    # $default), or the API's REQUEST authorizer at $connect.
    websocket_routes: tuple[str, ...] = ()
    websocket_authorizer: bool = False
    memory_mb: int = 512
    timeout_s: int = 15
    # Lambda SnapStart (Python 3.12+): new instances resume from a snapshot of an initialised one, taken when
    # a version is published, instead of importing everything again. Worth it where someone waits for the
    # first answer (an operator, Meta's webhook timeout); each restore is billed (docs/performance.md).
    snapstart: bool = False
    # What it sends links to routes of the operators' REST API (the e-mail CSAT survey's signed links): the
    # stack gives it the API's public URL in SWITCHBOARD_PUBLIC_API_URL.
    links_to_api: bool = False

    @property
    def handler_path(self) -> str:
        return f"functions/{self.name}"


@dataclass(frozen=True)
class Table:
    """Keys are strings. Each index ``gsiN`` is keyed by ``gsiNpk`` / ``gsiNsk`` and projects everything,
    but those named in ``keys_only``, which project the keys (a write that moves neither key costs them
    nothing: docs/cold-start-and-cost.md)."""

    name: str
    partition_key: str = "pk"
    sort_key: str | None = "sk"
    indexes: tuple[str, ...] = ()
    keys_only: tuple[str, ...] = ()
    ttl_attribute: str | None = None


# AWS's advice for a queue that triggers a Lambda: a visibility timeout of at least six times the function's
# timeout, so that a message is not received again while a slow (or retried) batch is still running.
VISIBILITY_PER_TIMEOUT = 6


@dataclass(frozen=True)
class Queue:
    name: str
    fifo: bool
    visibility_timeout_s: int  # at least VISIBILITY_PER_TIMEOUT x its consumer's timeout (the synth checks)
    max_receive_count: int
    # The local runtime's visibility timeout: retries within seconds instead of minutes.
    local_visibility_timeout_s: int = 2


@dataclass(frozen=True)
class Resources:
    tables: tuple[Table, ...]
    queues: tuple[Queue, ...]
    bus: str = "events"
    bucket: str = "media"
    secrets_prefix: str = "switchboard/"


RESOURCES = Resources(
    tables=(
        # gsi3: a contact's sessions, keys only (the session is rewritten by every message; its entry there is not)
        Table("data", indexes=("gsi1", "gsi2", "gsi3"), keys_only=("gsi3",), ttl_attribute="expires_at"),
    ),
    queues=(
        # 6 x contact_resolution's 60 s.
        Queue("inbound", fifo=True, visibility_timeout_s=360, max_receive_count=5),
        # 6 x message_send's 60 s. Locally 30 s: longer than a batch of concurrent sends; the worker sets its
        # own retry backoff.
        Queue("outbound", fifo=False, visibility_timeout_s=360, max_receive_count=5,
              local_visibility_timeout_s=30),
        # Outgoing webhook deliveries: a failed attempt is queued again with a per-message delay (backoff, 24 h);
        # the DLQ holds what crashed the worker five times (docs/realtime.md). 6 x webhook_delivery's 60 s.
        Queue("webhooks", fifo=False, visibility_timeout_s=360, max_receive_count=5, local_visibility_timeout_s=15),
    ),
)

# The browser origins allowed to call the operator API (CORS), declared once for the CDK stack (context
# `cors_origins`, comma-separated) and the local runtime (SWITCHBOARD_CORS_ORIGINS). Never `*`: the API takes
# credentials (a bearer token).
CORS_ORIGINS_DEFAULT = ("http://localhost:5173", "http://127.0.0.1:5173")


def cors_origins(configured: str | None) -> tuple[str, ...]:
    """The origins from a comma-separated setting, or the defaults when it is unset or empty."""
    origins = tuple(origin.strip().rstrip("/") for origin in (configured or "").split(",") if origin.strip())
    return origins or CORS_ORIGINS_DEFAULT


# The variable the functions read the origins from (switchboard.config), comma-separated as cors_origins()
# returns them: the CDK stack sets it on every function serving REST routes, the local runtime on all; the
# handlers' Powertools CORSConfig echoes only these in Access-Control-Allow-Origin.
CORS_ORIGINS_ENVIRONMENT = "SWITCHBOARD_CORS_ORIGINS"


@dataclass(frozen=True)
class RetryPolicy:
    """How long EventBridge (rules and Scheduler) keeps retrying to hand an event to its target before the
    event goes to the target's dead-letter queue."""

    maximum_retry_attempts: int  # 0 to 185
    maximum_event_age_s: int  # 60 to 86,400


# Every EventBridge rule target and every Scheduler schedule (the campaign schedules made at run time read it
# from SCHEDULER_RETRY_ATTEMPTS / SCHEDULER_MAX_EVENT_AGE_S). An event is a template refresh, an inbound email
# or a campaign's start: worth retrying for hours, not for EventBridge's default of a day of 185 attempts.
EVENT_TARGET_RETRY = RetryPolicy(maximum_retry_attempts=10, maximum_event_age_s=6 * 3600)
# Lambda's own retries of an asynchronous invocation (EventBridge and Scheduler invoke asynchronously) that
# failed in the function, before the event goes to the function's on-failure destination (0 to 2).
ASYNC_RETRY_ATTEMPTS = 2

# Lambda's logging of every function (advanced logging controls): JSON, the application's lines from INFO
# (Powertools' Logger writes JSON with a "level"), and Lambda's own platform lines from WARN. At INFO Lambda
# writes START and REPORT lines for every invocation, about 350 bytes, which CloudWatch Logs bills on ingestion:
# more than our own lines on the hot path. Duration, errors, throttles and concurrency stay CloudWatch metrics
# (the alarms read those, docs/deploy.md); what WARN loses is the REPORT line's memory used and init
# duration, which Lambda Insights or a temporary switch to INFO gives back (docs/cold-start-and-cost.md).
LOG_FORMAT = "JSON"
APPLICATION_LOG_LEVEL = "INFO"
SYSTEM_LOG_LEVEL = "WARN"

# How often expired presence (no heartbeat) is swept to offline; GET /operators evaluates expiry on read, so
# the sweep only makes the change an event (and frees nothing: an offline operator keeps their sessions).
PRESENCE_SWEEP_RATE = "rate(1 minute)"

# The domain events session_routing follows (docs/team.md).
ROUTING_EVENTS = ("session.created", "session.reopened", "session.resolved", "session.assigned",
                  "session.transferred", "presence.changed", "operator.updated", "operator.enabled",
                  "group.updated")

# The domain events conversation_index follows (docs/search.md); switchboard.sessions.search.ENTRIES.
SEARCH_EVENTS = ("message.received", "message.sent", "session.note_added", "session.created",
                 "contact.created", "contact.updated", "contact.merged", "contact.anonymized")

# The domain events sla_timers follows (docs/sla.md): they move a session's SLA timers and unanswered alert.
SLA_EVENTS = ("message.received", "message.sent", "session.resolved", "session.reopened", "session.no_reply_needed",
              "session.routed", "session.queued", "session.assigned", "session.transferred")


# The domain events the reports count (docs/reports.md), and those the CSAT survey follows.
REPORT_EVENTS = ("session.created", "session.reopened", "session.resolved", "message.received", "message.sent",
                 "session.sla_met", "session.sla_breached", "session.csat_received")
CSAT_EVENTS = ("session.resolved", "message.received")

# Filtered bus rules (docs/cold-start-and-cost.md): a consumer of message.received that acts on few of them
# gets its own rule for it, with a filter on what the producer says of the message (inbound/resolution.py,
# email/inbound.py), so the others never invoke it.
# - csat_survey records only a pick from the survey (reports/csat.py rating_of_reply; not blocked).
SURVEY_REPLIES: dict[str, Any] = {"survey_reply": [True]}
# - sla_timers acts on no blocked sender's message (sla/consumer.py _applies: not suppressed; a blocked
#   message has no session). Every producer says ``suppressed``.
UNSUPPRESSED: dict[str, Any] = {"suppressed": [False]}
# - campaign_dispatch marks a campaign recipient replied; campaigns go out on WhatsApp only
#   (campaigns/service.py), so an email never has a campaign to reply to. Every producer says ``kind``.
NOT_EMAIL: dict[str, Any] = {"kind": [{"anything-but": ["email"]}]}


def _without(events: tuple[str, ...], *dropped: str) -> tuple[str, ...]:
    return tuple(e for e in events if e not in dropped)


# Environment variable each resource is handed to a function under (switchboard.config reads them).
ENVIRONMENT_OF = {
    "table:data": "DATA_TABLE_NAME",
    "queue:inbound": "INBOUND_QUEUE_URL",
    "queue:outbound": "OUTBOUND_QUEUE_URL",
    "queue:webhooks": "WEBHOOKS_QUEUE_URL",
    "websocket": "WEBSOCKET_CALLBACK_URL",
    "bus": "EVENT_BUS_NAME",
    "bucket:media": "MEDIA_BUCKET_NAME",
    "secrets": "SECRETS_PREFIX",
    "ses": "SES_CONFIGURATION_SET",
    "userpool": "USER_POOL_ID",
}


def _routes(*pairs: str, auth: bool = True, api: Literal["rest", "http"] = "rest") -> tuple[Route, ...]:
    """``_routes("GET /a", "POST /b")``: routes from "METHOD /path" strings."""
    return tuple(Route(pair.split()[0], pair.split()[1], auth, api)  # type: ignore[arg-type]
                 for pair in pairs)


OPERATOR_API_ROUTES = (
    # the inbox, read side, and operators' actions on sessions
    *_routes("GET /saved-filters", "POST /saved-filters", "DELETE /saved-filters/{filter_id}"),
    *_routes("GET /sessions", "GET /sessions/{session_id}", "GET /sessions/{session_id}/messages",
             "POST /sessions/{session_id}/assign", "POST /sessions/{session_id}/resolve",
             "POST /sessions/{session_id}/read", "POST /sessions/{session_id}/notes",
             "POST /sessions/{session_id}/no-reply-needed", "PUT /sessions/{session_id}/tags",
             "PUT /sessions/{session_id}/contact", "DELETE /sessions/{session_id}/contact",
             "POST /sessions/{session_id}/attachments"),
    # the directory
    *_routes("GET /contacts", "POST /contacts", "GET /contacts/{contact_id}", "PATCH /contacts/{contact_id}",
             "DELETE /contacts/{contact_id}", "POST /contacts/{contact_id}/identifiers",
             "DELETE /contacts/{contact_id}/identifiers/{kind}/{value}", "POST /contacts/{contact_id}/merge",
             "POST /contacts/{contact_id}/block", "DELETE /contacts/{contact_id}/block",
             "GET /contacts/{contact_id}/history", "POST /contacts/{contact_id}/notes",
             "POST /contacts/{contact_id}/anonymize", "GET /contact-attributes", "PUT /contact-attributes"),
    # templates, campaigns, channels, webhook-level errors
    *_routes("GET /templates"),
    *_routes("GET /campaigns", "POST /campaigns", "GET /campaigns/{campaign_id}",
             "GET /campaigns/{campaign_id}/recipients", "POST /campaigns/{campaign_id}/recipients",
             "POST /campaigns/{campaign_id}/start", "POST /campaigns/{campaign_id}/pause",
             "POST /campaigns/{campaign_id}/resume", "POST /campaigns/{campaign_id}/cancel"),
    *_routes("GET /channels", "POST /channels", "PATCH /channels/{channel_id}", "DELETE /channels/{channel_id}",
             "GET /webhook-errors", "GET /channels/{channel_id}/history-imports"),
    # the team (docs/team.md): operators, presence, groups, routing rules, business hours, canned responses
    *_routes("GET /operators", "POST /operators", "GET /operators/{operator_id}", "PATCH /operators/{operator_id}",
             "DELETE /operators/{operator_id}", "PUT /operators/me/presence",
             "GET /groups", "POST /groups", "GET /groups/{group_id}", "PATCH /groups/{group_id}",
             "DELETE /groups/{group_id}", "GET /routing-rules", "PUT /routing-rules",
             "GET /channels/{channel_id}/business-hours", "PUT /channels/{channel_id}/business-hours",
             "POST /sessions/{session_id}/take", "POST /sessions/{session_id}/transfer",
             "GET /canned-responses", "POST /canned-responses", "PATCH /canned-responses/{response_id}",
             "DELETE /canned-responses/{response_id}"),
    # SLA policies (docs/sla.md)
    *_routes("GET /sla-policies", "POST /sla-policies", "PATCH /sla-policies/{policy_id}",
             "DELETE /sla-policies/{policy_id}"),
    # realtime: catching up on events, and outgoing webhook subscriptions (docs/realtime.md)
    *_routes("GET /events", "GET /webhook-subscriptions", "POST /webhook-subscriptions",
             "PATCH /webhook-subscriptions/{subscription_id}", "DELETE /webhook-subscriptions/{subscription_id}",
             "POST /webhook-subscriptions/{subscription_id}/test",
             "GET /webhook-subscriptions/{subscription_id}/deliveries"),
    # what WhatsApp messages cost (docs/pricing.md)
    *_routes("GET /rate-card", "PUT /rate-card", "GET /reports/costs"),
    *_routes("POST /sessions/{session_id}/typing"),
    # reports (docs/reports.md), read from the day buckets; the CSAT survey's public link
    *_routes("GET /reports/summary", "GET /reports/summary.csv", "GET /reports/now"),
    *_routes("GET /csat/{token}", auth=False),
    *_routes("GET /openapi.json", "GET /swagger", auth=False),
)

# How often every WhatsApp channel's templates are pulled from Meta (an EventBridge schedule expression).
# Webhooks refresh a template at once; this catches what a lost webhook missed (docs/templates.md).
TEMPLATE_SYNC_RATE = "rate(1 hour)"

FUNCTIONS: tuple[Function, ...] = (
    Function(
        name="webhook_receipt",
        description="Verifies WhatsApp and email webhooks and puts their events on the inbound queue",
        # On the HTTP API: their own throttle budget, apart from operators' traffic, at $1.00 per million
        # requests instead of REST's $3.50 (docs/deploy.md).
        routes=_routes("GET /webhooks/whatsapp", "POST /webhooks/whatsapp", "POST /webhooks/email/{channel_id}",
                       auth=False, api="http"),
        # Email (docs/email.md): SES sending events, and mail an SES receipt rule stored in the media bucket
        # (email-in/<tenant>/<channel_id>/<id>), become inbound queue events too.
        events=(EventTrigger(("Email Sent", "Email Delivered", "Email Bounced", "Email Complaint Received",
                              "Email Rejected", "Email Delivery Delayed"), source="aws.ses", bus="default"),
                EventTrigger(("Object Created",), source="aws.s3", bus="default")),
        # write: Mailgun's raw MIME to the media bucket, and its webhook tokens (replay protection, TTL)
        uses={"table:data": "readwrite", "queue:inbound": "send", "secrets": "read", "bucket:media": "write"},
        memory_mb=1024,
        timeout_s=10,
        snapstart=True,
    ),
    Function(
        name="contact_resolution",
        description="Resolves senders to contacts and sessions, stores messages, applies statuses",
        # Message groups in parallel; at most 20 batches at once: a backlog (Meta redelivering hours of
        # webhooks) drains at 20 x 10 events per batch without taking the account's concurrency.
        queue=QueueTrigger("inbound", batch_size=10, local_pollers=3, max_concurrency=20),
        # queue:inbound: the media step is queued as its own job (docs/inbound.md)
        uses={"table:data": "readwrite", "bus": "put", "bucket:media": "readwrite", "secrets": "read",
              "queue:inbound": "send"},
        memory_mb=1024,
        timeout_s=60,
    ),
    Function(
        name="message_send",
        description="Accepts operators' messages and sends them through the Graph API or SES",
        routes=_routes("POST /sessions", "POST /sessions/{session_id}/messages",
                       "POST /canned-responses/{response_id}/send"),
        # The Graph API takes 80 messages/s per number (docs/campaigns.md); 10 batches of 10 concurrent sends
        # cover several numbers at their limit, and a campaign's fan-out cannot start hundreds of workers.
        queue=QueueTrigger("outbound", batch_size=10, local_pollers=4, max_concurrency=10),
        uses={"table:data": "readwrite", "queue:outbound": "send",
              "bus": "put", "bucket:media": "read", "secrets": "read", "ses": "send"},
        timeout_s=60,
        snapstart=True,
    ),
    Function(
        name="session_reopen",
        description="Reopens a resolved session under the 24-hour rule",
        routes=_routes("POST /sessions/{session_id}/reopen"),
        uses={"table:data": "readwrite", "queue:outbound": "send",
              "bus": "put"},
        snapstart=True,
    ),
    Function(
        name="template_sync",
        description="Pulls every template of each WhatsApp business account and upserts them",
        routes=_routes("POST /templates/sync"),
        schedules=(ScheduleTrigger(TEMPLATE_SYNC_RATE, "template sync of every WhatsApp channel"),),
        # webhook.throughput: after account_update / phone_number_quality_update the throughput level is read again
        events=(EventTrigger(("webhook.template", "webhook.throughput")),),
        uses={"table:data": "readwrite", "secrets": "read", "bus": "put"},
        timeout_s=120,
    ),
    Function(
        name="operator_api",
        description="The directory and inbox reads and writes of operators' frontends",
        routes=OPERATOR_API_ROUTES,
        # userpool: inviting, disabling and enabling operators (Cognito admin calls on the one pool)
        # secrets readwrite: admins add channels and change their credentials (POST/PATCH /channels)
        # and webhook subscriptions' signing secrets are created and deleted here
        uses={"table:data": "readwrite", "bus": "put",
              "bucket:media": "readwrite", "secrets": "readwrite", "userpool": "write"},
        timeout_s=29,
        snapstart=True,
    ),
    Function(
        name="session_routing",
        description="Routes new and reopened sessions to groups and operators; drains queues as capacity frees",
        events=(EventTrigger(ROUTING_EVENTS),),
        schedules=(ScheduleTrigger(PRESENCE_SWEEP_RATE, "expired presence to offline"),),
        # queue:outbound and secrets: the away message outside business hours goes out like any send
        uses={"table:data": "readwrite", "bus": "put", "queue:outbound": "send", "secrets": "read",
              "bucket:media": "read"},
        local_event_pollers=4,  # EventBridge invokes a function asynchronously, many at once
        timeout_s=60,
    ),
    # Reports and CSAT (docs/reports.md): aggregates kept on the write path by a consumer of the domain events
    # (each event counted once: a marker in the counting transaction), and the survey after resolve.
    Function(
        name="report_aggregation",
        description="Counts domain events into the reports' day buckets, each event once",
        events=(EventTrigger(REPORT_EVENTS),),
        uses={"table:data": "readwrite"},
        local_event_pollers=2,
        memory_mb=256,
        timeout_s=30,
    ),
    Function(
        name="csat_survey",
        description="Sends the CSAT survey after resolve and records WhatsApp replies to it",
        events=(EventTrigger(_without(CSAT_EVENTS, "message.received")),
                EventTrigger(("message.received",), detail=SURVEY_REPLIES)),
        # queue:outbound and secrets: the survey goes out like any send; secrets readwrite: the tenant's
        # link-signing key is made on first use
        uses={"table:data": "readwrite", "bus": "put", "queue:outbound": "send", "secrets": "readwrite",
              "bucket:media": "read"},
        timeout_s=30,
        links_to_api=True,
    ),
    Function(
        name="conversation_index",
        description="Keeps the conversation search index from message, note, session and contact events",
        events=(EventTrigger(SEARCH_EVENTS),),
        uses={"table:data": "readwrite"},
        local_event_pollers=2,
        memory_mb=256,
        timeout_s=30,
    ),
    Function(
        name="campaign_dispatch",
        description="Fans a campaign's recipients out to the outbound queue at the channel's rate",
        scheduler_target=True,
        # a recipient who replies is marked replied
        events=(EventTrigger(("message.received",), detail=NOT_EMAIL),),
        uses={"table:data": "readwrite", "queue:outbound": "send", "bus": "put"},
        timeout_s=900,
    ),
    Function(
        name="cost_accounting",
        description="Counts each delivered WhatsApp message once in its channel's monthly costs (docs/pricing.md)",
        events=(EventTrigger(("message.status_changed",)),),
        uses={"table:data": "readwrite"},
        memory_mb=256,
        timeout_s=30,
    ),
    # SLA timers and unanswered alerts (docs/sla.md): domain events move each session's timers; each running
    # timer (and each waiting period's alert) is a one-time Scheduler schedule fired back into this function.
    Function(
        name="sla_timers",
        description="Moves sessions' SLA timers on domain events; marks breaches and sends unanswered alerts",
        events=(EventTrigger(_without(SLA_EVENTS, "message.received")),
                EventTrigger(("message.received",), detail=UNSUPPRESSED)),
        scheduler_target=True,
        uses={"table:data": "readwrite", "bus": "put", "ses": "send"},
        local_event_pollers=2,
        timeout_s=30,
    ),
    # Realtime (docs/realtime.md): operators' WebSocket connections, the fan-out of every numbered domain event
    # to them and to webhook subscriptions, and the signed delivery of webhooks.
    Function(
        name="realtime_authorizer",
        description="Verifies an operator's Cognito ID token when a WebSocket connects",
        websocket_authorizer=True,
        uses={},
        memory_mb=256,
        timeout_s=5,
    ),
    Function(
        name="realtime_connection",
        description="Stores and removes operators' WebSocket connections",
        websocket_routes=("$connect", "$disconnect", "$default"),
        uses={"table:data": "readwrite"},
        memory_mb=256,
        timeout_s=10,
    ),
    Function(
        name="realtime_fanout",
        description="Pushes each domain event to its tenant's WebSocket connections and webhook subscriptions",
        events=(EventTrigger(REALTIME_EVENT_TYPES),),
        uses={"table:data": "readwrite", "websocket": "manage", "queue:webhooks": "send"},
        timeout_s=30,
    ),
    Function(
        name="webhook_delivery",
        description="Delivers signed webhooks to subscriptions, retrying with backoff for 24 hours",
        queue=QueueTrigger("webhooks", batch_size=10, local_pollers=4),
        uses={"table:data": "readwrite", "secrets": "read", "queue:webhooks": "send", "bus": "put"},
        timeout_s=60,
    ),
)


def function(name: str) -> Function:
    for spec in FUNCTIONS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def environment_keys(spec: Function) -> list[str]:
    return [ENVIRONMENT_OF[resource] for resource in spec.uses]
