"""Operators' actions on a session: assign, resolve, read, notes, no-reply-needed, tags, attachments."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import Router

router = Router()
