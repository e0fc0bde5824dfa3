"""A WhatsApp channel's send rate follows Meta's throughput level of its number (``GET /<PHONE_NUMBER_ID>
?fields=throughput`` -> ``{"throughput": {"level": "STANDARD" | "HIGH"}}``: 80 or 1,000 messages a second).
Read with every full template sync (hourly) and when Meta announces a change (``account_update``,
``phone_number_quality_update``). The send worker and campaigns pace to ``throughput_mps`` (docs/pricing.md)."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools import Logger

from switchboard.clients.graph import GraphClient, GraphError
from switchboard.domain.channels import Channel
from switchboard.errors import ConcurrentUpdate
from switchboard.services import Services

logger = Logger(child=True)

MPS_OF_LEVEL = {"STANDARD": 80, "HIGH": 1000}
# Webhook fields after which the level is read again.
THROUGHPUT_FIELDS = ("account_update", "phone_number_quality_update")


def refresh_throughput(services: Services, channel: Channel, graph: GraphClient) -> Channel | None:
    """Read the number's level and store the rate it allows; None when nothing changed (or Meta did not
    answer: the channel keeps its rate, and the next sync tries again)."""
    if channel.kind != "whatsapp" or not channel.phone_number_id:
        return None
    try:
        level = graph.throughput_level(channel.phone_number_id)
    except GraphError as error:
        logger.warning("throughput level not read", channel_id=channel.channel_id, code=error.error_code)
        return None
    mps = MPS_OF_LEVEL.get(str(level).upper()) if level else None
    if mps is None:
        return None
    for _ in range(3):  # the channel's revision guards against an admin's edit at the same moment
        found = services.channels.revision_of(channel.tenant_id, channel.channel_id)
        if found is None:
            return None
        before, revision = found
        if before.throughput_level == level and before.throughput_mps == mps:
            return None
        after = before.model_copy(update={"throughput_level": level, "throughput_mps": mps})
        try:
            services.channels.update(before, after, revision)
        except ConcurrentUpdate:
            continue
        logger.info("throughput level changed", channel_id=channel.channel_id, level=level, mps=mps)
        return after
    return None


def on_account_webhook(services: Services, tenant_id: str, channel_id: str, field: str,
                       graph_of: Callable[[Channel], GraphClient]) -> Channel | None:
    """A ``webhook.throughput`` event: after the fields that announce a new level, read it again."""
    if field not in THROUGHPUT_FIELDS:
        return None
    channel = services.channels.get(tenant_id, channel_id)
    if channel is None or channel.disabled:
        return None
    return refresh_throughput(services, channel, graph_of(channel))
