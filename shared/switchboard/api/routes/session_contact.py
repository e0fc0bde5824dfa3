"""Linking a session to an existing contact, or unlinking it."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import Router

router = Router()
