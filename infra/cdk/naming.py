"""Construct ids from the declaration's snake_case names."""

from __future__ import annotations


def pascal(name: str) -> str:
    """``webhook_receipt`` -> ``WebhookReceipt``; ``gsi1`` -> ``Gsi1``."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))
