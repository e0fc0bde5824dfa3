"""Pulling every template of a WhatsApp business account (reference §8) and replacing the stored set.

Triggers (functions/template_sync): the hourly schedule syncs every WhatsApp channel of every tenant;
POST /templates/sync syncs a tenant's channels (or one); a ``webhook.template`` event refreshes the
template the webhook names (every language of that name), or the whole channel when it names none.

All pages are fetched before anything is written. A Graph error on any page (rate limits 4 and 80007,
an expired token 190, anything else) leaves the stored set as it was, is recorded on the channel's sync
status item and logged, and the next run tries again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.clients.graph import GraphClient, GraphError
from switchboard.domain.channels import Channel
from switchboard.errors import InvalidInput, NotFound
from switchboard.observability import count
from switchboard.services import Services
from switchboard.storage.channels import whatsapp_secrets
from switchboard.storage.templates import SyncWrite

logger = Logger(service="template_sync", child=True)

FIELDS = (
    "id,name,language,status,category,sub_category,components,parameter_format,quality_score,rejected_reason"
)
PAGE_SIZE = 100
MAX_PAGES = 200  # 20,000 templates; Meta's ceiling is 6,000 per account
RATE_LIMIT_CODES = frozenset({4, 80007})
EXPIRED_TOKEN_CODE = 190

GraphFactory = Callable[[Channel], GraphClient]


class FetchFailed(Exception):
    def __init__(self, error: GraphError, page: int) -> None:
        super().__init__(error.message)
        self.error = error
        self.page = page


class _NoAccount(Exception):
    """A WhatsApp channel without its business account id: nothing to list."""


@dataclass
class SyncResult:
    tenant_id: str
    channel_id: str
    ok: bool
    name: str | None = None  # the one template name refreshed, for a webhook-triggered sync
    pages: int = 0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: int = 0
    duration_ms: int = 0
    error: dict[str, Any] | None = None
    status_changes: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            k: v for k, v in asdict(self).items() if k not in ("error", "status_changes", "tenant_id", "ok")
        }


def fetch_templates(
    graph: GraphClient, waba_id: str, name: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    """Every template of the account (or of one name), following ``paging.next`` to the end.
    Returns (templates, pages). Raises FetchFailed naming the page that failed."""
    params: dict[str, Any] = {"fields": FIELDS, "limit": PAGE_SIZE}
    if name is not None:
        params["name"] = name
    templates: list[dict[str, Any]] = []
    pages, next_url = 0, None
    while pages < MAX_PAGES:
        try:
            page = (
                graph.get(f"{waba_id}/message_templates", params)
                if pages == 0
                else graph.get_url(next_url or "")
            )
        except GraphError as exc:
            raise FetchFailed(exc, pages + 1) from exc
        pages += 1
        templates.extend(t for t in page.get("data") or [] if isinstance(t, dict))
        following = (page.get("paging") or {}).get("next")
        if not following or following == next_url:
            break
        next_url = following
    if name is not None:  # Meta's name filter matches more than the exact name
        templates = [t for t in templates if t.get("name") == name]
    return templates, pages


def record_of(template: dict[str, Any]) -> dict[str, Any] | None:
    """The stored fields of one template from Meta's answer (None for an entry without name or language)."""
    if not template.get("name") or not template.get("language"):
        return None
    quality = template.get("quality_score")
    return {
        "template_id": str(template.get("id") or ""),
        "name": template["name"],
        "language": template["language"],
        "status": str(template.get("status") or "UNKNOWN").upper(),
        "category": template.get("category"),
        "sub_category": template.get("sub_category"),
        "components": json.dumps(template.get("components") or [], sort_keys=True, separators=(",", ":")),
        "parameter_format": str(template.get("parameter_format") or "POSITIONAL").upper(),
        "quality_score": _quality(quality),
        "rejected_reason": template.get("rejected_reason"),
        "deleted": False,
    }


def _quality(quality: Any) -> dict[str, Any] | None:
    if not isinstance(quality, dict):
        return {"score": str(quality)} if quality else None
    result: dict[str, Any] = {"score": quality.get("score")}
    if isinstance(quality.get("date"), int):
        result["date"] = quality["date"]
    return result


def default_graph(services: Services) -> GraphFactory:
    def make(channel: Channel) -> GraphClient:
        return GraphClient(services.settings.graph_base_url, whatsapp_secrets(channel).access_token)

    return make


def error_of(exc: GraphError, page: int) -> dict[str, Any]:
    if exc.error_code in RATE_LIMIT_CODES:
        code = "graph_rate_limited"
    elif exc.error_code == EXPIRED_TOKEN_CODE:
        code = "graph_token_expired"
    else:
        code = "graph_error"
    return {
        "code": code,
        "graph_code": exc.error_code,
        "http_status": exc.status,
        "message": exc.message,
        "retryable": exc.retryable,
        "page": page,
    }


def sync_channel(
    services: Services,
    channel: Channel,
    name: str | None = None,
    graph: GraphFactory | None = None,
    fetched_cache: dict[tuple[str, str], tuple[list[dict[str, Any]], int]] | None = None,
) -> SyncResult:
    """Sync one channel's templates (or one name's). Writes nothing unless every page was fetched."""
    started = time.monotonic()
    result = SyncResult(channel.tenant_id, channel.channel_id, ok=False, name=name)
    try:
        if not channel.waba_id:
            raise _NoAccount()
        cache_key = (channel.waba_id, channel.secret_name)
        if fetched_cache is not None and name is None and cache_key in fetched_cache:
            templates, pages = fetched_cache[cache_key]
        else:
            templates, pages = fetch_templates(
                (graph or default_graph(services))(channel), channel.waba_id, name
            )
            if fetched_cache is not None and name is None:
                fetched_cache[cache_key] = (templates, pages)
    except FetchFailed as failure:
        result.error = error_of(failure.error, failure.page)
    except _NoAccount:
        result.error = {"code": "channel_without_account", "retryable": False,
                        "message": "the channel has no WhatsApp business account id"}
    except GetParameterError as exc:
        result.error = {
            "code": "credentials_unavailable",
            "message": f"the channel's secret: {type(exc).__name__}",
            "retryable": True,
        }
    if result.error:
        result.duration_ms = int((time.monotonic() - started) * 1000)
        services.templates.record_sync(
            channel.tenant_id,
            channel.channel_id,
            clock.iso(clock.now()),
            False,
            result.summary(),
            result.error,
        )
        logger.warning(
            "template sync failed",
            tenant_id=channel.tenant_id,
            channel_id=channel.channel_id,
            error_code=result.error["code"],
            graph_code=result.error.get("graph_code"),
            page=result.error.get("page"),
        )
        count("TemplateSyncFailed")
        return result
    if name is None:  # a full sync reads the number's throughput level too (switchboard.channels.throughput)
        from switchboard.channels.throughput import refresh_throughput

        refresh_throughput(services, channel, (graph or default_graph(services))(channel))
    records = [r for r in (record_of(t) for t in templates) if r is not None]
    written: SyncWrite = services.templates.replace_set(
        channel.tenant_id, channel.channel_id, records, clock.iso(clock.now()), name
    )
    result.ok, result.pages, result.fetched = True, pages, len(records)
    for attribute in ("created", "updated", "deleted", "unchanged", "skipped"):
        setattr(result, attribute, getattr(written, attribute))
    result.status_changes = written.status_changes
    result.duration_ms = int((time.monotonic() - started) * 1000)
    services.templates.record_sync(
        channel.tenant_id, channel.channel_id, clock.iso(clock.now()), True, result.summary()
    )
    services.bus.publish(
        [
            DomainEvent(
                "template.status_changed",
                channel.tenant_id,
                {
                    "channel_id": channel.channel_id,
                    "name": c["name"],
                    "language": c["language"],
                    "status": c["status"],
                    "previous_status": c["previous_status"],
                },
            )
            for c in written.status_changes
        ]
    )
    logger.info(
        "templates synced",
        tenant_id=channel.tenant_id,
        channel_id=channel.channel_id,
        pages=pages,
        fetched=result.fetched,
        templates_created=result.created,
        templates_updated=result.updated,
        templates_deleted=result.deleted,
        duration_ms=result.duration_ms,
    )
    count("TemplateSyncSucceeded")
    return result


def sync_tenant(
    services: Services, tenant_id: str, channel_id: str | None = None, graph: GraphFactory | None = None
) -> list[SyncResult]:
    """POST /templates/sync: every WhatsApp channel of the tenant, or the one named."""
    if channel_id is not None:
        channel = services.channels.get(tenant_id, channel_id)
        if channel is None:
            raise NotFound("no such channel", channel_id=channel_id)
        if channel.kind != "whatsapp":
            raise InvalidInput("templates belong to WhatsApp channels; this one is not", field="channel_id")
        channels = [channel]
    else:
        channels = [c for c in services.channels.list(tenant_id) if c.kind == "whatsapp"]
    cache: dict[tuple[str, str], tuple[list[dict[str, Any]], int]] = {}
    return [sync_channel(services, c, graph=graph, fetched_cache=cache) for c in channels]


def sync_everything(services: Services, graph: GraphFactory | None = None) -> list[SyncResult]:
    """The hourly run: every WhatsApp channel of every tenant (channels sharing an account fetch it once)."""
    cache: dict[tuple[str, str], tuple[list[dict[str, Any]], int]] = {}
    results = [
        sync_channel(services, c, graph=graph, fetched_cache=cache)
        for c in services.templates.whatsapp_channels()
    ]
    logger.info("scheduled template sync done", channels=len(results), failed=sum(not r.ok for r in results))
    return results


def on_template_webhook(
    services: Services, detail: dict[str, Any], graph: GraphFactory | None = None
) -> SyncResult | None:
    """A template webhook arrived (status, quality, category or components update): refresh that template
    from Meta at once, every language of its name (the whole channel when the event names no template)."""
    tenant_id, channel_id = detail.get("tenant_id"), detail.get("channel_id")
    if not tenant_id or not channel_id:
        logger.warning("template event without tenant or channel")
        return None
    channel = services.channels.get(str(tenant_id), str(channel_id))
    if channel is None or channel.kind != "whatsapp":
        logger.warning("template event for an unknown channel", tenant_id=tenant_id, channel_id=channel_id)
        return None
    return sync_channel(services, channel, name=template_name_of(detail), graph=graph)


def template_name_of(detail: dict[str, Any]) -> str | None:
    """The template a ``webhook.template`` event is about: a top-level name, or Meta's change value."""
    for key in ("template_name", "name", "message_template_name"):
        if isinstance(detail.get(key), str) and detail[key]:
            return detail[key]
    for nested in ("value", "payload", "change"):
        value = detail.get(nested)
        if isinstance(value, dict) and isinstance(value.get("message_template_name"), str):
            return value["message_template_name"]
    return None
