"""Pricing and cost: Meta's pricing on statuses counted per channel and month, the tenant's rate card, the
costs report, and Meta's volume-based pricing tier updates (docs/pricing.md)."""
