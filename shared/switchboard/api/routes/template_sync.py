"""Syncing templates on demand (POST /templates/sync, admins)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import Router

router = Router()
