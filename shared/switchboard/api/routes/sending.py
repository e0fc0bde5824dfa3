"""Sending: a new outbound session (POST /sessions) and a message in a session."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import Router

router = Router()
