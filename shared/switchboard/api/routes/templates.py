"""Reading the template store (GET /templates)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import Router

router = Router()
