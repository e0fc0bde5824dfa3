"""A stand-in for Meta's Graph API on the local runtime (mounted under ``/_graph``): sends, media and
read receipts as documented, Meta's throughput (130429) and pair (131056) limits, switchable faults, and
signed status webhooks posted back (sent, delivered, read). See docs/sending.md."""

from infra.local.graph_simulator.simulator import Faults, GraphSimulator

__all__ = ["Faults", "GraphSimulator"]
