"""The email webhook (POST /webhooks/email/{channel_id})."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import Router

router = Router()
