"""The environment, read once into a typed model. Nothing else reads ``os.environ``."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from switchboard.errors import ConfigurationError


class Settings(BaseModel):
    """Every setting a function may need. Each function declares (infra/declaration.py) the resources it
    touches; the matching variables are set by the CDK stack and by the local runtime alike. A function
    asks for what it needs with :meth:`need`, so a missing name fails loudly at cold start."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    service: str = Field("switchboard", alias="POWERTOOLS_SERVICE_NAME")
    data_table_name: str | None = Field(None, alias="DATA_TABLE_NAME")
    inbound_queue_url: str | None = Field(None, alias="INBOUND_QUEUE_URL")
    outbound_queue_url: str | None = Field(None, alias="OUTBOUND_QUEUE_URL")
    event_bus_name: str | None = Field(None, alias="EVENT_BUS_NAME")
    media_bucket_name: str | None = Field(None, alias="MEDIA_BUCKET_NAME")
    secrets_prefix: str = Field("switchboard/", alias="SECRETS_PREFIX")
    # SES v2 configuration set whose event destination (EventBridge) reports deliveries and bounces.
    ses_configuration_set: str | None = Field(None, alias="SES_CONFIGURATION_SET")
    graph_base_url: str = Field("https://graph.facebook.com/v25.0", alias="GRAPH_API_BASE_URL")
    # Campaign schedules (EventBridge Scheduler): the campaign_dispatch function and the role that invokes it.
    scheduler_target_arn: str | None = Field(None, alias="SCHEDULER_TARGET_ARN")
    scheduler_role_arn: str | None = Field(None, alias="SCHEDULER_ROLE_ARN")
    # ... and what a schedule does when it cannot invoke it: retry, then this dead-letter queue.
    scheduler_dlq_arn: str | None = Field(None, alias="SCHEDULER_DLQ_ARN")
    scheduler_retry_attempts: int | None = Field(None, alias="SCHEDULER_RETRY_ATTEMPTS")
    scheduler_max_event_age_s: int | None = Field(None, alias="SCHEDULER_MAX_EVENT_AGE_S")
    # The Cognito user pool operators sign in to (invites, disable/enable); unset on this machine, where the
    # operator directory is the development identity provider (docs/team.md).
    user_pool_id: str | None = Field(None, alias="USER_POOL_ID")
    # How long presence lasts after the last heartbeat (PUT /operators/me/presence), docs/team.md.
    presence_ttl_seconds: int = Field(90, ge=10, le=3600, alias="SWITCHBOARD_PRESENCE_TTL_SECONDS")
    # The browser origins allowed to call the API (CORS), comma-separated, as infra/declaration.py's
    # cors_origins() lists them (set by the CDK stack and the local runtime); none: no CORS headers at all.
    cors_origins: str = Field("", alias="SWITCHBOARD_CORS_ORIGINS")
    # Realtime (docs/realtime.md): the outgoing webhooks' queue, API Gateway's connection management URL
    # of the WebSocket API, and the outgoing webhooks' rules.
    webhooks_queue_url: str | None = Field(None, alias="WEBHOOKS_QUEUE_URL")
    websocket_callback_url: str | None = Field(None, alias="WEBSOCKET_CALLBACK_URL")
    # Allow webhook URLs on private, loopback and link-local addresses, and plain http (the local runtime only).
    webhook_allow_private_urls: bool = Field(False, alias="WEBHOOK_ALLOW_PRIVATE_URLS")
    webhook_retry_base_seconds: float = Field(30.0, alias="WEBHOOK_RETRY_BASE_SECONDS")
    webhook_retry_window_seconds: float = Field(24 * 3600.0, alias="WEBHOOK_RETRY_WINDOW_SECONDS")
    webhook_pause_after_failures: int = Field(50, alias="WEBHOOK_PAUSE_AFTER_FAILURES")
    # The WebSocket API's authorizer: the Cognito user pool's issuer and app client (set by the CDK stack).
    cognito_issuer: str | None = Field(None, alias="COGNITO_ISSUER")
    cognito_client_id: str | None = Field(None, alias="COGNITO_CLIENT_ID")
    # Where customers reach the public routes (the CSAT survey's links, GET /csat/{token}): the REST API's URL.
    public_api_url: str = Field("http://localhost:8000", alias="SWITCHBOARD_PUBLIC_API_URL")
    # Seconds of clock shift, for the local runtime's "25 hours later" demos and tests only.
    clock_offset_seconds: float = Field(0.0, alias="SWITCHBOARD_CLOCK_OFFSET_SECONDS")

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        return tuple(origin.strip() for origin in self.cors_origins.split(",") if origin.strip())

    def need(self, field: str) -> str:
        value = getattr(self, field)
        if value is None or value == "":  # 0 is a value (no retries), not a missing setting
            alias = type(self).model_fields[field].alias
            raise ConfigurationError(f"{alias} is not set for this function")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))


def reset_settings() -> None:
    """Forget the cached settings (tests and the local runtime change the environment)."""
    get_settings.cache_clear()
