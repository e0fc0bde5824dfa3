"""Reopening a resolved session under the 24-hour rule."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import Router

router = Router()
