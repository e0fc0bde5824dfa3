"""The contact directory: contacts, identifiers, merge, block, history, notes, GDPR, attribute definitions."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import Router

router = Router()
